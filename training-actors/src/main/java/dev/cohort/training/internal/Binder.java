package dev.cohort.training.internal;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/** Small helpers shared by the native bindings: symbol lookup with a clear error, C strings. */
final class Binder {
  private final SymbolLookup lookup;
  private final Path path;

  Binder(SymbolLookup lookup, Path path) {
    this.lookup = lookup;
    this.path = path;
  }

  MethodHandle bind(String symbol, FunctionDescriptor descriptor) {
    MemorySegment address =
        lookup
            .find(symbol)
            .orElseThrow(
                () ->
                    new UnsatisfiedLinkError(
                        symbol + " not found in " + path + " (an incompatible library version?)"));
    return Linker.nativeLinker().downcallHandle(address, descriptor);
  }

  /** A NUL-terminated C string owned by the library (static storage), or "" for NULL. */
  static String string(MemorySegment cString) {
    if (cString.equals(MemorySegment.NULL)) {
      return "";
    }
    return cString.reinterpret(Long.MAX_VALUE).getString(0);
  }

  static RuntimeException rethrow(Throwable t) {
    if (t instanceof RuntimeException r) {
      throw r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    throw new IllegalStateException(t);
  }
}
