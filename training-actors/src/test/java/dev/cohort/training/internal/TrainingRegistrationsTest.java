package dev.cohort.training.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.persistence.CohortSerializable;
import dev.cohort.persistence.SerializationRegistry;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every concrete {@link CohortSerializable} type of this module has a Kryo id in 4000–4999. */
class TrainingRegistrationsTest {

  @Test
  void everySerializableTypeIsRegisteredInTheModuleRange() throws IOException, URISyntaxException {
    Path classes =
        Path.of(
            TrainingRegistrations.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
    SerializationRegistry registry = SerializationRegistry.load();
    List<String> missing = new ArrayList<>();
    try (Stream<Path> files = Files.walk(classes)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
        String name =
            classes.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", "");
        Class<?> type;
        try {
          type = Class.forName(name, false, getClass().getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
          continue;
        }
        boolean concrete = !type.isInterface() && !Modifier.isAbstract(type.getModifiers());
        if (CohortSerializable.class.isAssignableFrom(type)
            && concrete
            && !type.isAnonymousClass()
            && !(type.isEnum() == false
                && type.getSuperclass() != null
                && type.getSuperclass().isEnum())
            && !registry.isRegistered(type)) {
          missing.add(name);
        }
      }
    }
    assertTrue(missing.isEmpty(), "not registered with Kryo: " + missing);
    for (Map.Entry<Integer, Class<?>> e : registry.byId().entrySet()) {
      if (e.getValue().getName().startsWith("dev.cohort.training.")) {
        boolean module = e.getKey() >= 4000 && e.getKey() <= 4999;
        boolean testOnly = e.getKey() >= 9000 && e.getKey() <= 9999;
        assertTrue(module || testOnly, e.getValue() + " has id " + e.getKey());
      }
    }
  }
}
