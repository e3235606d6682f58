package dev.cohort.persistence.internal;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;

/**
 * Actor references travel as their serialization path (which carries the node address) and are
 * resolved on the receiving node, typed ones through {@link ActorRefResolver}.
 */
final class ActorRefSerializers {
  private ActorRefSerializers() {}

  static final class Typed extends Serializer<ActorRef<?>> {
    private final ExtendedActorSystem system;
    private volatile ActorRefResolver resolver;

    Typed(ExtendedActorSystem system) {
      super(false, true);
      this.system = system;
    }

    @Override
    public void write(Kryo kryo, Output output, ActorRef<?> ref) {
      output.writeString(resolver().toSerializationFormat(ref));
    }

    @Override
    public ActorRef<?> read(Kryo kryo, Input input, Class<? extends ActorRef<?>> type) {
      return resolver().resolveActorRef(input.readString());
    }

    /** Resolved lazily: the serializer is created while the actor system is still starting. */
    private ActorRefResolver resolver() {
      ActorRefResolver current = resolver;
      if (current == null) {
        current = ActorRefResolver.get(Adapter.toTyped(system));
        resolver = current;
      }
      return current;
    }
  }

  static final class Classic extends Serializer<org.apache.pekko.actor.ActorRef> {
    private final ExtendedActorSystem system;

    Classic(ExtendedActorSystem system) {
      super(false, true);
      this.system = system;
    }

    @Override
    public void write(Kryo kryo, Output output, org.apache.pekko.actor.ActorRef ref) {
      output.writeString(Serialization.serializedActorPath(ref));
    }

    @Override
    public org.apache.pekko.actor.ActorRef read(
        Kryo kryo, Input input, Class<? extends org.apache.pekko.actor.ActorRef> type) {
      return system.provider().resolveActorRef(input.readString());
    }
  }
}
