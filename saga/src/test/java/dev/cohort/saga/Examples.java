package dev.cohort.saga;

/** Definitions shared by tests. */
final class Examples {
  private Examples() {}

  /** The source document's SagaOrchestrator, step for step. */
  static SagaDefinition orderSaga() {
    return SagaDefinition.builder("order")
        .step("create_order", StepAction.java("create_order"), StepAction.java("cancel_order"))
        .step(
            "deduct_inventory",
            StepAction.java("deduct_inventory"),
            StepAction.java("restore_inventory"))
        .step(
            SagaStep.of(
                    "process_payment",
                    StepAction.java("process_payment"),
                    StepAction.java("refund_payment"))
                .withRetry(new RetryPolicy(2, 50, 50, 1.0)))
        .build();
  }
}
