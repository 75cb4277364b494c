//! Waiters: poll `runs/get` until the run ends, and tell success from failure.
//!
//! The rule is the official SDKs' (`wait_get_run_job_terminated_or_skipped`): a run is over
//! when its life cycle state is `TERMINATED`, `SKIPPED` or `INTERNAL_ERROR`. Over, it is a
//! success only when `TERMINATED` with `SUCCESS` (or `SUCCESS_WITH_FAILURES`); anything else is
//! a [`JobError::RunFailed`] naming the failed tasks and their errors (read with
//! `runs/get-output`). Polls back off as [`PollPolicy`] says (1 s growing 1.5× to 10 s by
//! default) until its deadline (20 minutes by default).
//!
//! Every waiter is cancel-safe: it holds no state outside its future and spawns nothing, so
//! dropping it just stops polling.

use std::sync::Mutex;

use dbx_core::wait::{poll_until, Poll, PollPolicy};

use crate::{
    latest_attempts, FailedTask, JobError, JobsApi, LifeCycleState, RepairRun, ResultState, Run,
    RunId, RunNow, RunPage, SubmitRun,
};

type WaitResult = Result<Run, JobError>;

impl JobsApi {
    /// This API with `policy` for every waiter called through the returned handle (the default
    /// polls for up to 20 minutes).
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> Result<(), dbx_jobs::JobError> {
    /// use std::time::Duration;
    /// use dbx_core::wait::PollPolicy;
    /// let patient = jobs.with_wait_policy(PollPolicy::new(Duration::from_secs(6 * 3600)).max_interval(Duration::from_secs(60)));
    /// patient.wait_run(dbx_jobs::RunId(40)).await?;
    /// # Ok(()) }
    /// ```
    pub fn with_wait_policy(&self, policy: PollPolicy) -> Self {
        Self {
            client: self.client.clone(),
            wait: policy,
        }
    }

    /// The poll policy of this handle's waiters.
    pub fn wait_policy(&self) -> &PollPolicy {
        &self.wait
    }

    /// Wait until the run is over and return it (every task) if it succeeded; otherwise
    /// [`JobError::RunFailed`] with the state message and each failed task's key and error, or
    /// [`JobError::Timeout`] at the policy's deadline.
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) {
    /// match jobs.wait_run(dbx_jobs::RunId(40)).await {
    ///     Ok(run) => println!("done in {:?} ms", run.run_duration),
    ///     Err(e) => eprintln!("{e}"),
    /// }
    /// # }
    /// ```
    pub async fn wait_run(&self, run_id: RunId) -> WaitResult {
        let ended = self.wait_over(run_id).await?;
        self.judge(ended).await
    }

    /// [`run_now`](JobsApi::run_now), then [`wait_run`](JobsApi::wait_run).
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> Result<(), dbx_jobs::JobError> {
    /// use dbx_jobs::{JobId, RunNow};
    /// let run = jobs.run_now_and_wait(&RunNow::new(JobId(12))).await?;
    /// assert!(run.is_success());
    /// # Ok(()) }
    /// ```
    pub async fn run_now_and_wait(&self, request: &RunNow) -> WaitResult {
        let started = self.run_now(request).await?;
        self.wait_run(started.run_id).await
    }

    /// [`submit`](JobsApi::submit), then [`wait_run`](JobsApi::wait_run).
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> Result<(), dbx_jobs::JobError> {
    /// use dbx_jobs::{SubmitRun, Task};
    /// let run = jobs
    ///     .submit_and_wait(&SubmitRun::new("adhoc").task(Task::notebook("t", "/Shared/x").existing_cluster_id("0101-000000-abc")))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn submit_and_wait(&self, request: &SubmitRun) -> WaitResult {
        let run_id = self.submit(request).await?;
        self.wait_run(run_id).await
    }

    /// [`repair_run`](JobsApi::repair_run), then [`wait_run`](JobsApi::wait_run) on the
    /// repaired run.
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> Result<(), dbx_jobs::JobError> {
    /// use dbx_jobs::{RepairRun, RunId};
    /// let run = jobs.repair_and_wait(&RepairRun::new(RunId(40)).rerun_all_failed_tasks()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn repair_and_wait(&self, request: &RepairRun) -> WaitResult {
        self.repair_run(request).await?;
        self.wait_run(request.run_id).await
    }

    /// [`cancel_run`](JobsApi::cancel_run), then wait until the run is over and return it,
    /// however it ended (`CANCELED`, or its own result when it finished first).
    ///
    /// ```no_run
    /// # async fn demo(jobs: dbx_jobs::JobsApi) -> Result<(), dbx_jobs::JobError> {
    /// let run = jobs.cancel_and_wait(dbx_jobs::RunId(40)).await?;
    /// println!("{:?}", run.result_state());
    /// # Ok(()) }
    /// ```
    pub async fn cancel_and_wait(&self, run_id: RunId) -> WaitResult {
        self.cancel_run(run_id).await?;
        let ended = self.wait_over(run_id).await?;
        self.whole(ended).await
    }

    /// Poll one page of `runs/get` until the life cycle state is terminal.
    async fn wait_over(&self, run_id: RunId) -> Result<RunPage, JobError> {
        let last: Mutex<Option<(LifeCycleState, Option<String>)>> = Mutex::new(None);
        let polled = poll_until(&self.wait, || {
            let last = &last;
            async move {
                let page = self.get_run_page(run_id, None).await?;
                let run = &page.run;
                let state = run.life_cycle_state();
                if let Ok(mut seen) = last.lock() {
                    *seen = Some((state.clone(), run.state_message().map(str::to_string)));
                }
                if state.is_terminal() {
                    return Ok(Poll::Ready(page));
                }
                let words = match run.state_message() {
                    Some(m) if !m.is_empty() => format!("{state}: {m}"),
                    _ => state.to_string(),
                };
                tracing::debug!(run_id = %run_id, state = %words, "waiting for run");
                Ok(Poll::Pending(words))
            }
        })
        .await;
        match polled {
            Ok(page) => Ok(page),
            Err(dbx_core::Error::WaitTimeout { elapsed, .. }) => {
                let seen = last.lock().ok().and_then(|s| s.clone());
                let (last_state, state_message) = match seen {
                    Some((s, m)) => (Some(s), m),
                    None => (None, None),
                };
                Err(JobError::Timeout {
                    run_id,
                    elapsed,
                    last_state,
                    state_message,
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The whole run from its first page: the page itself when it is the only one, else every
    /// page merged (a run of more than 100 tasks).
    async fn whole(&self, first: RunPage) -> WaitResult {
        match first.next_page_token.as_deref() {
            None | Some("") => Ok(first.run),
            Some(_) => Ok(self.get_run(first.run.run_id).await?),
        }
    }

    /// Read the whole ended run; success, or a failure naming each failed task and its error.
    async fn judge(&self, ended: RunPage) -> WaitResult {
        let run = self.whole(ended).await?;
        if run.is_success() {
            return Ok(run);
        }
        let mut failed_tasks = Vec::new();
        for t in latest_attempts(&run.tasks) {
            let life = t.life_cycle_state().cloned();
            let result = t.result_state().cloned();
            let failed = matches!(life, Some(LifeCycleState::InternalError))
                || matches!(
                    result,
                    Some(ResultState::Failed | ResultState::Timedout | ResultState::Canceled)
                );
            if !failed {
                continue;
            }
            // The task's own error, best effort: the run's failure is the outcome either way.
            let error = match t.run_id {
                Some(id) => match self.get_run_output(id).await {
                    Ok(out) => out.error,
                    Err(e) => {
                        tracing::debug!(task = %t.task_key, error = %e, "no output for failed task");
                        None
                    }
                },
                None => None,
            };
            failed_tasks.push(FailedTask {
                task_key: t.task_key.clone(),
                run_id: t.run_id,
                life_cycle_state: life,
                result_state: result,
                state_message: t.state.as_ref().and_then(|s| s.state_message.clone()),
                error,
            });
        }
        Err(JobError::RunFailed {
            run_id: run.run_id,
            life_cycle_state: run.life_cycle_state(),
            result_state: run.result_state().cloned(),
            state_message: run.state_message().map(str::to_string),
            failed_tasks,
            run: Box::new(run),
        })
    }
}
