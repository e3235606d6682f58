package dev.cohort.persistence.internal;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Writes a record field by field so that the bytes stay readable when the record changes shape.
 *
 * <p>Format: {@code varint count}, then per component {@code int32 nameHash, int32 length, value}
 * where value is Kryo's class-and-object encoding and length its byte count. On read, a component
 * whose name hash is unknown is skipped by its length (the field was removed); a component the
 * bytes lack takes its type's default (null, zero, false, or an empty List, Set, Map or Optional:
 * the field was added). Changing a component's type is detected and reported, not coerced.
 *
 * <p>Invariant: the {@link Output} is backed by a growable array (no stream), because lengths are
 * patched in place after each value is written. Immutable and thread-safe.
 */
final class CompatibleRecordSerializer<T> extends Serializer<T> {
  private final Class<T> type;
  private final Component[] components;
  private final MethodHandle constructor;
  private final Object[] defaults;

  private record Component(String name, int nameHash, Class<?> type, MethodHandle accessor) {}

  CompatibleRecordSerializer(Class<T> type) {
    super(false, true);
    if (!type.isRecord()) {
      throw new IllegalArgumentException(type.getName() + " is not a record");
    }
    this.type = type;
    RecordComponent[] recordComponents = type.getRecordComponents();
    components = new Component[recordComponents.length];
    defaults = new Object[recordComponents.length];
    Class<?>[] parameterTypes = new Class<?>[recordComponents.length];
    try {
      for (int i = 0; i < recordComponents.length; i++) {
        RecordComponent rc = recordComponents[i];
        rc.getAccessor().setAccessible(true);
        MethodHandle accessor =
            MethodHandles.lookup()
                .unreflect(rc.getAccessor())
                .asType(MethodType.methodType(Object.class, Object.class));
        components[i] =
            new Component(rc.getName(), rc.getName().hashCode(), rc.getType(), accessor);
        defaults[i] = defaultValue(rc.getType());
        parameterTypes[i] = rc.getType();
        for (int j = 0; j < i; j++) {
          if (components[j].nameHash == components[i].nameHash) {
            throw new IllegalArgumentException(
                type.getName()
                    + ": components '"
                    + components[j].name
                    + "' and '"
                    + components[i].name
                    + "' have the same name hash; rename one");
          }
        }
      }
      Constructor<T> canonical = type.getDeclaredConstructor(parameterTypes);
      canonical.setAccessible(true);
      constructor =
          MethodHandles.lookup()
              .unreflectConstructor(canonical)
              .asSpreader(Object[].class, parameterTypes.length)
              .asType(MethodType.methodType(Object.class, Object[].class));
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException("cannot access record " + type.getName(), e);
    }
  }

  @Override
  public void write(Kryo kryo, Output output, T record) {
    if (output.getOutputStream() != null) {
      throw new KryoException("record fields are length-patched: write to an array-backed Output");
    }
    output.writeVarInt(components.length, true);
    for (Component component : components) {
      Object value;
      try {
        value = (Object) component.accessor.invokeExact((Object) record);
      } catch (Throwable e) {
        throw new KryoException("cannot read " + type.getName() + "." + component.name, e);
      }
      output.writeInt(component.nameHash);
      int lengthAt = output.position();
      output.writeInt(0);
      kryo.writeClassAndObject(output, value);
      int end = output.position();
      output.setPosition(lengthAt);
      output.writeInt(end - lengthAt - Integer.BYTES);
      output.setPosition(end);
    }
  }

  @Override
  public T read(Kryo kryo, Input input, Class<? extends T> ignored) {
    Object[] arguments = Arrays.copyOf(defaults, defaults.length);
    int count = input.readVarInt(true);
    for (int i = 0; i < count; i++) {
      int nameHash = input.readInt();
      int length = input.readInt();
      int index = indexOf(nameHash);
      if (index < 0) {
        input.skip(length);
        continue;
      }
      Object value = kryo.readClassAndObject(input);
      if (value != null && !fits(components[index].type, value)) {
        throw new KryoException(
            type.getName()
                + "."
                + components[index].name
                + " is stored as "
                + value.getClass().getName()
                + ", which does not fit "
                + components[index].type.getName()
                + ": a component's type was changed");
      }
      if (value != null || !components[index].type.isPrimitive()) {
        arguments[index] = value;
      }
    }
    try {
      @SuppressWarnings("unchecked")
      T record = (T) (Object) constructor.invokeExact(arguments);
      return record;
    } catch (Throwable e) {
      throw new KryoException("cannot construct " + type.getName() + ": " + e.getMessage(), e);
    }
  }

  private int indexOf(int nameHash) {
    for (int i = 0; i < components.length; i++) {
      if (components[i].nameHash == nameHash) {
        return i;
      }
    }
    return -1;
  }

  private static boolean fits(Class<?> declared, Object value) {
    return MethodType.methodType(declared).wrap().returnType().isInstance(value);
  }

  private static Object defaultValue(Class<?> type) {
    if (type.isPrimitive()) {
      try {
        return MethodHandles.zero(type).invoke();
      } catch (Throwable e) {
        throw new IllegalStateException(e);
      }
    }
    if (type == List.class) {
      return List.of();
    }
    if (type == Set.class) {
      return Set.of();
    }
    if (type == Map.class) {
      return Map.of();
    }
    if (type == Optional.class) {
      return Optional.empty();
    }
    return null;
  }
}
