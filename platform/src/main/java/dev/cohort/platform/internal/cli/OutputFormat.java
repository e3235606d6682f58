package dev.cohort.platform.internal.cli;

/**
 * How a client subcommand prints the gateway's answer ({@code -o/--output}). Each subcommand has
 * its own default: {@link #SIMPLE} for single values and kv (key and value lines, as etcdctl prints
 * them), {@link #TABLE} for lists and describes (aligned columns, as {@code kafka-consumer-groups
 * --describe}), {@link #JSON} for scripts (the gateway's JSON, indented; one compact object per
 * line for streams).
 */
public enum OutputFormat {
  SIMPLE,
  TABLE,
  JSON
}
