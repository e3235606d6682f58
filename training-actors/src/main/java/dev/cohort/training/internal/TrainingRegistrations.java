package dev.cohort.training.internal;

import dev.cohort.persistence.KryoRegistrations;
import dev.cohort.training.JobPhase;
import dev.cohort.training.JobStatus;
import dev.cohort.training.MlpSpec;
import dev.cohort.training.OptimizerSpec;
import dev.cohort.training.TrainingJobSpec;
import dev.cohort.training.collective.Backend;
import dev.cohort.training.collective.NcclRendezvous;
import dev.cohort.training.collective.ReduceOp;
import dev.cohort.training.collective.RingRendezvous;
import dev.cohort.training.compute.ComputeKind;

/**
 * Kryo ids of the training module, range 4000–4999. Ids are part of the wire and journal format:
 * never reuse or renumber one; add new classes with the next free id.
 */
public final class TrainingRegistrations implements KryoRegistrations {
  @Override
  public void register(Registry r) {
    r.add(4000, Backend.class);
    r.add(4001, ReduceOp.class);
    r.add(4002, RingRendezvous.class);
    r.add(4003, NcclRendezvous.class);
    r.add(4004, MlpSpec.class);
    r.add(4005, OptimizerSpec.class);
    r.add(4006, TrainingJobSpec.class);
    r.add(4007, ComputeKind.class);
    // TrainingCoordinator: commands 4010-4029, worker messages 4030-4039, replies 4040-4049,
    // events 4050-4069, state 4070-4079.
    r.add(4010, TrainingCoordinator.Submit.class);
    r.add(4011, TrainingCoordinator.Join.class);
    r.add(4012, TrainingCoordinator.WorkerLost.class);
    r.add(4013, TrainingCoordinator.ReportProgress.class);
    r.add(4014, TrainingCoordinator.Finish.class);
    r.add(4015, TrainingCoordinator.Cancel.class);
    r.add(4016, TrainingCoordinator.Get.class);
    r.add(4017, TrainingCoordinator.Fail.class);
    r.add(4018, TrainingCoordinator.RendezvousDeadline.class);
    r.add(4019, TrainingCoordinator.GenerationFailed.class);
    r.add(4020, TrainingCoordinator.RecruitTick.class);
    r.add(4030, TrainingCoordinator.Assignment.class);
    r.add(4031, TrainingCoordinator.Abort.class);
    r.add(4040, JobStatus.class);
    r.add(4041, JobStatus.LossPoint.class);
    r.add(4042, JobPhase.class);
    r.add(4050, TrainingCoordinator.JobSubmitted.class);
    r.add(4051, TrainingCoordinator.WorkerJoined.class);
    r.add(4052, TrainingCoordinator.GenerationFormed.class);
    r.add(4053, TrainingCoordinator.GenerationAborted.class);
    r.add(4054, TrainingCoordinator.ProgressReported.class);
    r.add(4055, TrainingCoordinator.JobCompleted.class);
    r.add(4056, TrainingCoordinator.JobCancelled.class);
    r.add(4057, TrainingCoordinator.JobFailed.class);
    r.add(4058, TrainingCoordinator.WorkerLeft.class);
    r.add(4070, Job.class); // was TrainingCoordinator.State: same fields
    r.add(4071, Job.Member.class); // was TrainingCoordinator.Member
    r.add(4072, JobState.Pending.class);
    r.add(4073, JobState.Gathering.class);
    r.add(4074, JobState.Running.class);
    r.add(4075, JobState.Ended.class);
    r.add(4021, TrainingCoordinator.CheckpointSaved.class);
    r.add(4022, TrainingCoordinator.Wake.class);
    r.add(4023, TrainingCoordinator.Restarted.class);
    r.add(4024, TrainingCoordinator.Passivate.class);
    r.add(4032, TrainingCoordinator.Resume.class);
    r.add(4025, TrainingCoordinator.NcclIdCreated.class);
    r.add(4033, TrainingCoordinator.NcclStart.class);
    r.add(4043, dev.cohort.training.CheckpointInfo.class);
    r.add(4044, dev.cohort.training.RecoveryInfo.class);
    r.add(4045, JobStatus.Worker.class);
    r.add(4046, TrainingCoordinator.Answer.class);
    r.add(4047, TrainingCoordinator.Rejected.class);
    r.add(4059, TrainingCoordinator.CheckpointCommitted.class);
    r.add(4060, TrainingCoordinator.RecoveryStarted.class);
    r.add(4061, TrainingCoordinator.GenerationResumed.class);
    r.add(4062, TrainingCoordinator.TrainingResumed.class);
    r.add(4080, WorkerPool.Recruit.class);
    // Checkpoint chunks (journal events of their own persistence ids) 4090-4099.
    r.add(4090, CheckpointStore.ChunkWritten.class);
    // TrainingJobIndex: commands 4100-4109, replies 4110-4119, events 4120-4129, state 4130-4139.
    r.add(4100, TrainingJobIndex.Register.class);
    r.add(4101, TrainingJobIndex.MarkEnded.class);
    r.add(4102, TrainingJobIndex.Query.class);
    r.add(4110, TrainingJobIndex.Listing.class);
    r.add(4120, TrainingJobIndex.JobRegistered.class);
    r.add(4121, TrainingJobIndex.JobEnded.class);
    r.add(4130, TrainingJobIndex.State.class);
    r.add(4131, TrainingJobIndex.Entry.class);
  }

  /** Valid instances of the types whose constructors check their values. */
  @Override
  public java.util.List<Object> samples() {
    MlpSpec model = MlpSpec.of(4, 8, 2);
    OptimizerSpec optimizer = new OptimizerSpec("adam", 0.001f, 0.9f);
    return java.util.List.of(
        model,
        optimizer,
        new TrainingJobSpec(
            "sample", model, "dataset", 1, 2, Backend.RING, 1, 16, optimizer, 7, 10, 25),
        new NcclRendezvous(0, 1, new byte[NcclRendezvous.UNIQUE_ID_BYTES], 0));
  }
}
