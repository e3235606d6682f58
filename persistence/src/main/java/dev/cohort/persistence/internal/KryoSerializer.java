package dev.cohort.persistence.internal;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.ImmutableCollectionsSerializers;
import com.esotericsoftware.kryo.util.DefaultClassResolver;
import com.esotericsoftware.kryo.util.Pool;
import dev.cohort.persistence.SerializationRegistry;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.JSerializer;

/**
 * Pekko's serializer for {@link dev.cohort.persistence.CohortSerializable}: Kryo with every class
 * registered under its fixed id from {@link SerializationRegistry}, registration required (an
 * unregistered class fails instead of writing its name), references off.
 *
 * <p>Bytes: Kryo's class id followed by the object; records use {@link CompatibleRecordSerializer}.
 * No manifest is needed because the class id is in the bytes.
 *
 * <p>Thread-safe: Kryo instances and output buffers are pooled.
 */
public final class KryoSerializer extends JSerializer {
  /** Pekko serializer id; part of the journal format, never change it. */
  public static final int IDENTIFIER = 47_110_001;

  private static final int POOL_SIZE = 64;

  private final Pool<Kryo> kryos;
  private final Pool<Output> outputs;

  public KryoSerializer(ExtendedActorSystem system) {
    SerializationRegistry registry = SerializationRegistry.load();
    kryos =
        new Pool<>(true, false, POOL_SIZE) {
          @Override
          protected Kryo create() {
            return newKryo(system, registry);
          }
        };
    outputs =
        new Pool<>(true, false, POOL_SIZE) {
          @Override
          protected Output create() {
            return new Output(4096, -1);
          }
        };
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public boolean includeManifest() {
    return false;
  }

  @Override
  public byte[] toBinary(Object object) {
    Kryo kryo = kryos.obtain();
    Output output = outputs.obtain();
    try {
      output.reset();
      kryo.writeClassAndObject(output, object);
      return output.toBytes();
    } finally {
      if (output.getBuffer().length > 1 << 20) {
        output.setBuffer(new byte[4096], -1);
      }
      outputs.free(output);
      kryos.free(kryo);
    }
  }

  @Override
  public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
    Kryo kryo = kryos.obtain();
    try {
      return kryo.readClassAndObject(new Input(bytes));
    } finally {
      kryos.free(kryo);
    }
  }

  static Kryo newKryo(ExtendedActorSystem system, SerializationRegistry registry) {
    ActorRefClassResolver resolver = new ActorRefClassResolver();
    Kryo kryo = new Kryo(resolver, null);
    kryo.setRegistrationRequired(true);
    kryo.setReferences(false);
    ImmutableCollectionsSerializers.addDefaultSerializers(kryo);
    for (Map.Entry<Integer, Class<?>> entry : registry.byId().entrySet()) {
      Class<?> type = entry.getValue();
      kryo.register(new Registration(type, serializerFor(kryo, system, type), entry.getKey()));
    }
    return kryo;
  }

  private static Serializer<?> serializerFor(Kryo kryo, ExtendedActorSystem system, Class<?> type) {
    if (type == org.apache.pekko.actor.typed.ActorRef.class) {
      return new ActorRefSerializers.Typed(system);
    }
    if (type == org.apache.pekko.actor.ActorRef.class) {
      return new ActorRefSerializers.Classic(system);
    }
    if (type == UUID.class) {
      return new UuidSerializer();
    }
    if (type.isRecord()) {
      return new CompatibleRecordSerializer<>(type);
    }
    return kryo.getDefaultSerializer(type);
  }

  /**
   * Maps every actor reference implementation to the registration of its public interface, so that
   * refs of any runtime class travel under one id.
   */
  private static final class ActorRefClassResolver extends DefaultClassResolver {
    @Override
    public Registration getRegistration(Class type) {
      Registration registration = super.getRegistration(type);
      if (registration != null || type == null) {
        return registration;
      }
      if (org.apache.pekko.actor.typed.ActorRef.class.isAssignableFrom(type)) {
        return super.getRegistration(org.apache.pekko.actor.typed.ActorRef.class);
      }
      if (org.apache.pekko.actor.ActorRef.class.isAssignableFrom(type)) {
        return super.getRegistration(org.apache.pekko.actor.ActorRef.class);
      }
      return null;
    }
  }
}
