//! The error of the waiters and helpers: an API error, a run that did not succeed (with the
//! state message and each failed task's key and error), a deadline that passed, or a name that
//! matched more than one job.

use std::fmt;
use std::time::Duration;

use crate::{JobId, LifeCycleState, ResultState, Run, RunId};

/// A task of a run that failed, as a waiter reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedTask {
    /// The task's key.
    pub task_key: String,
    /// The task run's id (for `get_run_output`).
    pub run_id: Option<RunId>,
    /// Its life cycle state.
    pub life_cycle_state: Option<LifeCycleState>,
    /// Its result state.
    pub result_state: Option<ResultState>,
    /// The service's words about its state.
    pub state_message: Option<String>,
    /// The error from its output (`runs/get-output`'s `error`), when it could be read.
    pub error: Option<String>,
}

impl fmt::Display for FailedTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.task_key)?;
        if let Some(r) = &self.result_state {
            write!(f, " {r}")?;
        } else if let Some(l) = &self.life_cycle_state {
            write!(f, " {l}")?;
        }
        let words = self
            .error
            .as_deref()
            .filter(|e| !e.is_empty())
            .or(self.state_message.as_deref().filter(|m| !m.is_empty()));
        if let Some(w) = words {
            write!(f, ": {w}")?;
        }
        Ok(())
    }
}

/// What a waiter ([`JobsApi::wait_run`](crate::JobsApi::wait_run) and the `*_and_wait`
/// calls) or a helper can fail with.
///
/// ```
/// use dbx_jobs::{FailedTask, JobError, LifeCycleState, ResultState, Run, RunId};
/// let e = JobError::RunFailed {
///     run_id: RunId(42),
///     life_cycle_state: LifeCycleState::Terminated,
///     result_state: Some(ResultState::Failed),
///     state_message: Some("Workload failed, see run output for details".into()),
///     failed_tasks: vec![FailedTask {
///         task_key: "report".into(),
///         run_id: Some(RunId(43)),
///         life_cycle_state: Some(LifeCycleState::Terminated),
///         result_state: Some(ResultState::Failed),
///         state_message: None,
///         error: Some("ZeroDivisionError: division by zero".into()),
///     }],
///     run: Box::new(Run::default()),
/// };
/// assert!(e.is_failed());
/// assert_eq!(
///     e.to_string(),
///     "run 42 ended TERMINATED FAILED: Workload failed, see run output for details; \
///      failed tasks: report FAILED: ZeroDivisionError: division by zero"
/// );
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JobError {
    /// A call failed (the API's answer, a transport failure, ...).
    #[error(transparent)]
    Api(#[from] dbx_core::Error),
    /// The run ended without success: `FAILED`, `TIMEDOUT`, `CANCELED`, `SKIPPED`,
    /// `INTERNAL_ERROR`, ...
    #[error("run {run_id} ended {life_cycle_state}{}{}{}",
        result_state.as_ref().map(|r| format!(" {r}")).unwrap_or_default(),
        state_message.as_deref().filter(|m| !m.is_empty()).map(|m| format!(": {m}")).unwrap_or_default(),
        failed_list(failed_tasks))]
    RunFailed {
        /// The run.
        run_id: RunId,
        /// Its final life cycle state.
        life_cycle_state: LifeCycleState,
        /// Its result.
        result_state: Option<ResultState>,
        /// The service's words.
        state_message: Option<String>,
        /// Every task that failed, timed out, was cancelled or hit an internal error (the
        /// latest attempt of each), with its error.
        failed_tasks: Vec<FailedTask>,
        /// The run as last read (every task).
        run: Box<Run>,
    },
    /// The wait's deadline passed (default 20 minutes; see
    /// [`JobsApi::with_wait_policy`](crate::JobsApi::with_wait_policy)).
    #[error("run {run_id} did not finish within {elapsed:?}; last state seen: {}{}",
        last_state.as_ref().map(|s| s.as_str()).unwrap_or("none"),
        state_message.as_deref().filter(|m| !m.is_empty()).map(|m| format!(": {m}")).unwrap_or_default())]
    Timeout {
        /// The run.
        run_id: RunId,
        /// How long the waiter polled.
        elapsed: Duration,
        /// The last life cycle state seen.
        last_state: Option<LifeCycleState>,
        /// The service's words about it.
        state_message: Option<String>,
    },
    /// More than one job has the name looked for.
    #[error("{} jobs are named {name:?}: {}", job_ids.len(),
        job_ids.iter().map(|j| j.to_string()).collect::<Vec<_>>().join(", "))]
    AmbiguousName {
        /// The name.
        name: String,
        /// The jobs that have it.
        job_ids: Vec<JobId>,
    },
}

fn failed_list(tasks: &[FailedTask]) -> String {
    if tasks.is_empty() {
        return String::new();
    }
    let list: Vec<String> = tasks.iter().map(ToString::to_string).collect();
    format!("; failed tasks: {}", list.join("; "))
}

impl JobError {
    /// Whether the run ended without success.
    pub fn is_failed(&self) -> bool {
        matches!(self, JobError::RunFailed { .. })
    }

    /// Whether the deadline passed.
    pub fn is_timeout(&self) -> bool {
        matches!(self, JobError::Timeout { .. })
    }

    /// The run as last read, for [`JobError::RunFailed`].
    pub fn run(&self) -> Option<&Run> {
        match self {
            JobError::RunFailed { run, .. } => Some(run),
            _ => None,
        }
    }

    /// The failed tasks, for [`JobError::RunFailed`] (empty otherwise).
    pub fn failed_tasks(&self) -> &[FailedTask] {
        match self {
            JobError::RunFailed { failed_tasks, .. } => failed_tasks,
            _ => &[],
        }
    }

    /// The result state, for [`JobError::RunFailed`].
    pub fn result_state(&self) -> Option<&ResultState> {
        match self {
            JobError::RunFailed { result_state, .. } => result_state.as_ref(),
            _ => None,
        }
    }

    /// The underlying SDK error, for [`JobError::Api`].
    pub fn api(&self) -> Option<&dbx_core::Error> {
        match self {
            JobError::Api(e) => Some(e),
            _ => None,
        }
    }
}
