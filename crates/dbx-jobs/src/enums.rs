//! The Jobs API's enumerations, all open: a value Databricks adds later arrives as the
//! `Unknown(String)` arm instead of failing the whole response.
//!
//! Values follow the official SDKs' `jobs` service (`RunLifeCycleState`, `RunResultState`,
//! `TerminationCodeCode`, ...) and catalogue §7.4 of `docs/`' reference.

dbx_core::open_enum! {
    /// Where a run is in its life (`RunLifeCycleState`): `QUEUED` → `PENDING` → `RUNNING` →
    /// `TERMINATING` → `TERMINATED`; `SKIPPED` and `INTERNAL_ERROR` are the other ends.
    ///
    /// ```
    /// use dbx_jobs::LifeCycleState;
    /// let s: LifeCycleState = serde_json::from_str("\"RUNNING\"").unwrap();
    /// assert!(s.is_active() && !s.is_terminal());
    /// assert!(LifeCycleState::Skipped.is_terminal());
    /// ```
    pub enum LifeCycleState {
        /// Waiting for a slot (queueing on, concurrency or workspace limits reached).
        Queued = "QUEUED",
        /// Scheduled; compute is being prepared.
        Pending = "PENDING",
        /// Executing.
        Running = "RUNNING",
        /// Done executing; cleaning up.
        Terminating = "TERMINATING",
        /// Finished; `result_state` says how.
        Terminated = "TERMINATED",
        /// Not run (the job's concurrency limit was reached, or an upstream task failed).
        Skipped = "SKIPPED",
        /// Failed in the Jobs service itself.
        InternalError = "INTERNAL_ERROR",
        /// Blocked by an upstream dependency.
        Blocked = "BLOCKED",
        /// Failed, waiting before its next retry attempt.
        WaitingForRetry = "WAITING_FOR_RETRY",
    }
}

impl LifeCycleState {
    /// Whether nothing more will happen to the run: `TERMINATED`, `SKIPPED` or
    /// `INTERNAL_ERROR`.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            LifeCycleState::Terminated | LifeCycleState::Skipped | LifeCycleState::InternalError
        )
    }

    /// Whether `runs/list?active_only=true` selects it: `QUEUED`, `PENDING`, `RUNNING`,
    /// `TERMINATING` (and the newer `BLOCKED`, `WAITING_FOR_RETRY`).
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            LifeCycleState::Queued
                | LifeCycleState::Pending
                | LifeCycleState::Running
                | LifeCycleState::Terminating
                | LifeCycleState::Blocked
                | LifeCycleState::WaitingForRetry
        )
    }
}

dbx_core::open_enum! {
    /// How a run ended (`RunResultState`), set once it is terminal.
    pub enum ResultState {
        /// Completed successfully.
        Success = "SUCCESS",
        /// Completed, with some tasks failed that the job tolerates.
        SuccessWithFailures = "SUCCESS_WITH_FAILURES",
        /// Failed.
        Failed = "FAILED",
        /// Stopped after `timeout_seconds`.
        Timedout = "TIMEDOUT",
        /// Cancelled by a user or the service.
        Canceled = "CANCELED",
        /// Not run: the job's `max_concurrent_runs` was reached.
        MaximumConcurrentRunsReached = "MAXIMUM_CONCURRENT_RUNS_REACHED",
        /// Not run because of its `run_if` condition or a condition task.
        Excluded = "EXCLUDED",
        /// Not run: a task it depends on failed.
        UpstreamFailed = "UPSTREAM_FAILED",
        /// Not run: a task it depends on was cancelled.
        UpstreamCanceled = "UPSTREAM_CANCELED",
        /// Not run: the task is disabled.
        Disabled = "DISABLED",
    }
}

impl ResultState {
    /// Whether this result counts as success for a waiter (`SUCCESS`, `SUCCESS_WITH_FAILURES`).
    pub fn is_success(&self) -> bool {
        matches!(
            self,
            ResultState::Success | ResultState::SuccessWithFailures
        )
    }
}

dbx_core::open_enum! {
    /// The newer life cycle state of `status.state` (`RunLifecycleStateV2State`).
    pub enum StatusState {
        /// Waiting in the queue.
        Queued = "QUEUED",
        /// Preparing.
        Pending = "PENDING",
        /// Executing.
        Running = "RUNNING",
        /// Cleaning up.
        Terminating = "TERMINATING",
        /// Finished; see `termination_details`.
        Terminated = "TERMINATED",
        /// Blocked by an upstream dependency.
        Blocked = "BLOCKED",
        /// Waiting for a retry.
        Waiting = "WAITING",
    }
}

dbx_core::open_enum! {
    /// Why a run terminated (`TerminationCodeCode`).
    pub enum TerminationCode {
        /// Completed successfully.
        Success = "SUCCESS",
        /// Completed with some failed tasks.
        SuccessWithFailures = "SUCCESS_WITH_FAILURES",
        /// Cancelled by the service.
        Canceled = "CANCELED",
        /// Cancelled by a user.
        UserCanceled = "USER_CANCELED",
        /// The run's code failed.
        RunExecutionError = "RUN_EXECUTION_ERROR",
        /// Skipped: the job's concurrency limit was reached.
        MaxConcurrentRunsExceeded = "MAX_CONCURRENT_RUNS_EXCEEDED",
        /// The queue was full.
        MaxJobQueueSizeExceeded = "MAX_JOB_QUEUE_SIZE_EXCEEDED",
        /// The workspace's run limit was reached.
        WorkspaceRunLimitExceeded = "WORKSPACE_RUN_LIMIT_EXCEEDED",
        /// Failure inside the Jobs service.
        InternalError = "INTERNAL_ERROR",
        /// The driver failed.
        DriverError = "DRIVER_ERROR",
        /// The cluster failed.
        ClusterError = "CLUSTER_ERROR",
        /// A user terminated the cluster the run used.
        ClusterTerminatedByUser = "CLUSTER_TERMINATED_BY_USER",
        /// The cluster request was invalid.
        InvalidClusterRequest = "INVALID_CLUSTER_REQUEST",
        /// The run's configuration was invalid.
        InvalidRunConfiguration = "INVALID_RUN_CONFIGURATION",
        /// A library failed to install.
        LibraryInstallationError = "LIBRARY_INSTALLATION_ERROR",
        /// Something the run needs (a notebook, a file, a cluster) was not found.
        ResourceNotFound = "RESOURCE_NOT_FOUND",
        /// The run's identity may not do what it tried.
        UnauthorizedError = "UNAUTHORIZED_ERROR",
        /// The cloud provider failed.
        CloudFailure = "CLOUD_FAILURE",
        /// Skipped.
        Skipped = "SKIPPED",
        /// The task is disabled.
        Disabled = "DISABLED",
        /// Too many cluster requests.
        ClusterRequestLimitExceeded = "CLUSTER_REQUEST_LIMIT_EXCEEDED",
        /// Too many Spark contexts on the cluster.
        MaxSparkContextsExceeded = "MAX_SPARK_CONTEXTS_EXCEEDED",
        /// The Git checkout failed.
        RepositoryCheckoutFailed = "REPOSITORY_CHECKOUT_FAILED",
        /// Storage could not be reached.
        StorageAccessError = "STORAGE_ACCESS_ERROR",
        /// The feature is disabled in the workspace.
        FeatureDisabled = "FEATURE_DISABLED",
        /// The budget policy's limit was exceeded.
        BudgetPolicyLimitExceeded = "BUDGET_POLICY_LIMIT_EXCEEDED",
        /// A breaking change in the platform.
        BreakingChange = "BREAKING_CHANGE",
    }
}

dbx_core::open_enum! {
    /// Whose fault a termination was (`TerminationTypeType`).
    pub enum TerminationType {
        /// Success.
        Success = "SUCCESS",
        /// Databricks' fault.
        InternalError = "INTERNAL_ERROR",
        /// The caller's (configuration, code).
        ClientError = "CLIENT_ERROR",
        /// The cloud provider's.
        CloudFailure = "CLOUD_FAILURE",
    }
}

dbx_core::open_enum! {
    /// Why a run is queued (`QueueDetailsCodeCode`).
    pub enum QueueCode {
        /// The workspace's active-run limit.
        ActiveRunsLimitReached = "ACTIVE_RUNS_LIMIT_REACHED",
        /// The job's `max_concurrent_runs`.
        MaxConcurrentRunsReached = "MAX_CONCURRENT_RUNS_REACHED",
        /// The workspace's limit of active run-job tasks.
        ActiveRunJobTasksLimitReached = "ACTIVE_RUN_JOB_TASKS_LIMIT_REACHED",
    }
}

dbx_core::open_enum! {
    /// When a task runs, given the outcome of the tasks it depends on (`RunIf`; default
    /// `ALL_SUCCESS`).
    pub enum RunIf {
        /// Every dependency succeeded.
        AllSuccess = "ALL_SUCCESS",
        /// Every dependency finished, whatever the outcome.
        AllDone = "ALL_DONE",
        /// No dependency failed (succeeded or were skipped).
        NoneFailed = "NONE_FAILED",
        /// At least one dependency succeeded.
        AtLeastOneSuccess = "AT_LEAST_ONE_SUCCESS",
        /// At least one dependency failed.
        AtLeastOneFailed = "AT_LEAST_ONE_FAILED",
        /// Every dependency failed.
        AllFailed = "ALL_FAILED",
    }
}

dbx_core::open_enum! {
    /// What started a run (`TriggerType`).
    pub enum TriggerType {
        /// The job's schedule.
        Periodic = "PERIODIC",
        /// A single call (`run-now`, the UI).
        OneTime = "ONE_TIME",
        /// A retry of a failed attempt.
        Retry = "RETRY",
        /// A run-job task of another job.
        RunJobTask = "RUN_JOB_TASK",
        /// A file arrival trigger.
        FileArrival = "FILE_ARRIVAL",
        /// A table update trigger.
        Table = "TABLE",
        /// A continuous job.
        Continuous = "CONTINUOUS",
        /// A restart of a continuous job.
        ContinuousRestart = "CONTINUOUS_RESTART",
    }
}

dbx_core::open_enum! {
    /// The kind of a run (`RunType`); a filter of `runs/list`.
    pub enum RunType {
        /// A run of a job (`run-now`, schedule, trigger).
        JobRun = "JOB_RUN",
        /// A workflow run (`dbutils.notebook.run`).
        WorkflowRun = "WORKFLOW_RUN",
        /// A one-time run (`runs/submit`).
        SubmitRun = "SUBMIT_RUN",
    }
}

dbx_core::open_enum! {
    /// Paused or not, for a schedule, trigger or continuous job (`PauseStatus`).
    pub enum PauseStatus {
        /// Fires.
        Unpaused = "UNPAUSED",
        /// Does not fire.
        Paused = "PAUSED",
    }
}

dbx_core::open_enum! {
    /// The shape a job was created in (`Format`, output only).
    pub enum Format {
        /// The 2.0 single-task form (top-level task fields).
        SingleTask = "SINGLE_TASK",
        /// The multi-task form (`tasks`).
        MultiTask = "MULTI_TASK",
    }
}

dbx_core::open_enum! {
    /// Where a task's file comes from (`Source`).
    pub enum Source {
        /// The workspace.
        Workspace = "WORKSPACE",
        /// The job's `git_source`.
        Git = "GIT",
    }
}

dbx_core::open_enum! {
    /// Which views `runs/export` returns (`ViewsToExport`; default `CODE`).
    pub enum ViewsToExport {
        /// The notebook's code.
        Code = "CODE",
        /// Its dashboards.
        Dashboards = "DASHBOARDS",
        /// Both.
        All = "ALL",
    }
}

dbx_core::open_enum! {
    /// The kind of an exported view (`ViewType`).
    pub enum ViewType {
        /// A notebook.
        Notebook = "NOTEBOOK",
        /// A dashboard.
        Dashboard = "DASHBOARD",
    }
}

dbx_core::open_enum! {
    /// The comparison of a condition task (`ConditionTaskOp`).
    pub enum ConditionOp {
        /// `left == right`.
        EqualTo = "EQUAL_TO",
        /// `left != right`.
        NotEqual = "NOT_EQUAL",
        /// `left > right`.
        GreaterThan = "GREATER_THAN",
        /// `left >= right`.
        GreaterThanOrEqual = "GREATER_THAN_OR_EQUAL",
        /// `left < right`.
        LessThan = "LESS_THAN",
        /// `left <= right`.
        LessThanOrEqual = "LESS_THAN_OR_EQUAL",
    }
}
