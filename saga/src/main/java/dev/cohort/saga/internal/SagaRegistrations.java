package dev.cohort.saga.internal;

import dev.cohort.persistence.KryoRegistrations;
import dev.cohort.saga.Attempt;
import dev.cohort.saga.ProjectionDefinition;
import dev.cohort.saga.ProjectionState;
import dev.cohort.saga.ProjectionStatus;
import dev.cohort.saga.RetryPolicy;
import dev.cohort.saga.SagaDefinition;
import dev.cohort.saga.SagaInstance;
import dev.cohort.saga.SagaState;
import dev.cohort.saga.SagaStep;
import dev.cohort.saga.SagaSummary;
import dev.cohort.saga.SagaUpdate;
import dev.cohort.saga.StartResult;
import dev.cohort.saga.StepAction;
import dev.cohort.saga.StepPhase;
import dev.cohort.saga.StepRecord;
import dev.cohort.saga.StepStatus;

/**
 * The saga module's Kryo ids (3000–3999). Ids are part of the journal format: never reuse or
 * renumber one; add new classes with new ids.
 */
public final class SagaRegistrations implements KryoRegistrations {
  @Override
  public void register(Registry r) {
    // public API records and enums: 3000-3099
    r.add(3000, SagaDefinition.class);
    r.add(3001, SagaStep.class);
    r.add(3002, RetryPolicy.class);
    r.add(3003, StepAction.Java.class);
    r.add(3004, StepAction.Http.class);
    r.add(3005, StepAction.Kv.class);
    r.add(3006, StepAction.KvOp.class);
    r.add(3007, StepAction.KvTxn.class);
    r.add(3008, StepAction.KvCompare.class);
    r.add(3009, StepAction.KvWrite.class);
    r.add(3010, StepAction.Log.class);
    r.add(3011, SagaState.class);
    r.add(3012, StepPhase.class);
    r.add(3013, StepStatus.class);
    r.add(3014, Attempt.class);
    r.add(3015, Attempt.Outcome.class);
    r.add(3016, StepRecord.class);
    r.add(3017, SagaInstance.class);
    r.add(3018, SagaSummary.class);
    r.add(3019, SagaUpdate.class);
    r.add(3020, StartResult.class);

    // instance entity: 3100-3199
    r.add(3100, SagaInstanceEntity.Start.class);
    r.add(3101, SagaInstanceEntity.Get.class);
    r.add(3102, SagaInstanceEntity.Retry.class);
    r.add(3103, SagaInstanceEntity.Resolve.class);
    r.add(3104, SagaInstanceEntity.Wake.class);
    r.add(3105, SagaInstanceEntity.Stop.class);
    r.add(3106, SagaInstanceEntity.AttemptDone.class);
    r.add(3110, SagaInstanceEntity.Answer.class);
    r.add(3111, SagaInstanceEntity.Refused.class);
    r.add(3120, SagaInstanceEntity.Started.class);
    r.add(3121, SagaInstanceEntity.AttemptStarted.class);
    r.add(3122, SagaInstanceEntity.AttemptSucceeded.class);
    r.add(3123, SagaInstanceEntity.AttemptFailed.class);
    r.add(3124, SagaInstanceEntity.CompensationStarted.class);
    r.add(3125, SagaInstanceEntity.Completed.class);
    r.add(3126, SagaInstanceEntity.Compensated.class);
    r.add(3127, SagaInstanceEntity.CompensationFailed.class);
    r.add(3128, SagaInstanceEntity.RetryRequested.class);
    r.add(3129, SagaInstanceEntity.Resolved.class);
    r.add(3140, InstanceData.class); // was SagaInstanceEntity.State: same fields
    r.add(3141, InstanceState.NotStarted.class);
    r.add(3142, InstanceState.Active.class);
    r.add(3143, InstanceState.AwaitingOperator.class);
    r.add(3144, InstanceState.Ended.class);

    // definitions entity: 3200-3299
    r.add(3200, SagaDefinitionsEntity.Define.class);
    r.add(3201, SagaDefinitionsEntity.GetDefinition.class);
    r.add(3202, SagaDefinitionsEntity.ListDefinitions.class);
    r.add(3203, SagaDefinitionsEntity.DeleteDefinition.class);
    r.add(3210, SagaDefinitionsEntity.Found.class);
    r.add(3211, SagaDefinitionsEntity.Listed.class);
    r.add(3212, SagaDefinitionsEntity.Deleted.class);
    r.add(3213, SagaDefinitionsEntity.Refused.class);
    r.add(3220, SagaDefinitionsEntity.DefinitionStored.class);
    r.add(3221, SagaDefinitionsEntity.DefinitionDeleted.class);
    r.add(3240, SagaDefinitionsEntity.State.class);
    r.add(3241, SagaDefinitionsEntity.Versions.class);

    // index entity: 3300-3399
    r.add(3300, SagaIndexEntity.Register.class);
    r.add(3301, SagaIndexEntity.Upsert.class);
    r.add(3302, SagaIndexEntity.Query.class);
    r.add(3310, SagaIndexEntity.Registered.class);
    r.add(3311, SagaIndexEntity.Listing.class);
    r.add(3320, SagaIndexEntity.Indexed.class);
    r.add(3340, SagaIndexEntity.State.class);

    // projections: public records 3400-3419, entity 3420-3479, registry 3480-3499
    r.add(3400, ProjectionDefinition.class);
    r.add(3401, ProjectionDefinition.Mode.class);
    r.add(3402, ProjectionState.class);
    r.add(3403, ProjectionStatus.class);
    r.add(3404, ProjectionStatus.PartitionStatus.class);
    r.add(3420, ProjectionEntity.Create.class);
    r.add(3421, ProjectionEntity.GetStatus.class);
    r.add(3422, ProjectionEntity.Rebuild.class);
    r.add(3423, ProjectionEntity.StopRunning.class);
    r.add(3424, ProjectionEntity.Resume.class);
    r.add(3425, ProjectionEntity.Delete.class);
    r.add(3426, ProjectionEntity.Wake.class);
    r.add(3427, ProjectionEntity.ReportProgress.class);
    r.add(3428, ProjectionEntity.CommitOffsets.class);
    r.add(3429, ProjectionEntity.ReportCleared.class);
    r.add(3430, ProjectionEntity.ReportFailure.class);
    r.add(3431, ProjectionEntity.RunnerTerminated.class);
    r.add(3440, ProjectionEntity.Status.class);
    r.add(3441, ProjectionEntity.Removed.class);
    r.add(3442, ProjectionEntity.Refused.class);
    r.add(3450, ProjectionEntity.Defined.class);
    r.add(3451, ProjectionEntity.RebuildStarted.class);
    r.add(3452, ProjectionEntity.ViewCleared.class);
    r.add(3453, ProjectionEntity.OffsetsCommitted.class);
    r.add(3454, ProjectionEntity.ProjectionFailed.class);
    r.add(3455, ProjectionEntity.Stopped.class);
    r.add(3456, ProjectionEntity.Resumed.class);
    r.add(3457, ProjectionEntity.Deleted.class);
    r.add(3470, ProjectionEntity.State.class);
    r.add(3480, ProjectionRegistryEntity.Register.class);
    r.add(3481, ProjectionRegistryEntity.Unregister.class);
    r.add(3482, ProjectionRegistryEntity.ListNames.class);
    r.add(3483, ProjectionRegistryEntity.Names.class);
    r.add(3484, ProjectionRegistryEntity.NameRegistered.class);
    r.add(3485, ProjectionRegistryEntity.NameUnregistered.class);
    r.add(3486, ProjectionRegistryEntity.State.class);
  }
}
