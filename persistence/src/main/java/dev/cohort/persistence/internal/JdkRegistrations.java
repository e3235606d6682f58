package dev.cohort.persistence.internal;

import dev.cohort.persistence.KryoRegistrations;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * JDK types that messages and events contain, ids 20–99. The immutable collections of {@code
 * List.of}, {@code Set.of} and {@code Map.of} are registered by their runtime classes (one for
 * zero-to-two elements, one for more).
 */
public final class JdkRegistrations implements KryoRegistrations {
  @Override
  public void register(Registry registry) {
    registry.add(20, byte[].class);
    registry.add(21, int[].class);
    registry.add(22, long[].class);
    registry.add(23, float[].class);
    registry.add(24, double[].class);
    registry.add(25, String[].class);
    registry.add(26, Object[].class);
    registry.add(27, BigInteger.class);
    registry.add(28, BigDecimal.class);
    registry.add(29, UUID.class);
    registry.add(30, Instant.class);
    registry.add(31, Duration.class);
    registry.add(32, Optional.class);
    registry.add(40, ArrayList.class);
    registry.add(41, HashMap.class);
    registry.add(42, LinkedHashMap.class);
    registry.add(43, TreeMap.class);
    registry.add(44, HashSet.class);
    registry.add(45, LinkedHashSet.class);
    registry.add(46, TreeSet.class);
    registry.add(50, List.of().getClass());
    registry.add(51, List.of(1).getClass());
    registry.add(52, Set.of().getClass());
    registry.add(53, Set.of(1).getClass());
    registry.add(54, Map.of().getClass());
    registry.add(55, Map.of(1, 1).getClass());
    registry.add(60, org.apache.pekko.actor.typed.ActorRef.class);
    registry.add(61, org.apache.pekko.actor.ActorRef.class);
  }
}
