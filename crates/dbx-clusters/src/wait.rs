//! Waiters: poll `get` until the cluster reaches a state, failing fast when it cannot.
//!
//! The rules are the official SDKs' (`wait_get_cluster_running`, `wait_get_cluster_terminated`,
//! `ensure_cluster_is_running`): waiting for `RUNNING` fails on `TERMINATED` and `ERROR` (and here
//! also on `TERMINATING`, which can only lead to `TERMINATED`, <https://docs.databricks.com/api/workspace/clusters>); waiting for
//! `TERMINATED` fails on `ERROR`. Polls back off as [`PollPolicy`] says (1 s growing 1.5× to
//! 10 s by default) until its deadline (20 minutes by default).
//!
//! Every waiter is cancel-safe: it holds no state outside its future and spawns nothing, so
//! dropping it (e.g. in a `tokio::select!` or under `tokio::time::timeout`) just stops polling.

use std::sync::Mutex;

use dbx_core::wait::{poll_until, Poll, PollPolicy};

use crate::{ClusterDetails, ClusterError, ClusterId, ClusterSpec, ClustersApi, State, Workers};

type WaitResult = Result<ClusterDetails, ClusterError>;

impl ClustersApi {
    /// This API with `policy` for every waiter called through the returned handle (the default
    /// polls for up to 20 minutes).
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> Result<(), dbx_clusters::ClusterError> {
    /// use std::time::Duration;
    /// use dbx_core::wait::PollPolicy;
    /// let patient = clusters.with_wait_policy(
    ///     PollPolicy::new(Duration::from_secs(45 * 60)).max_interval(Duration::from_secs(30)),
    /// );
    /// patient.wait_running(&id).await?;
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

    /// Wait until the cluster is `RUNNING`, and return it. Fails fast with
    /// [`ClusterError::Failed`] (carrying `termination_reason` and `state_message`) when it is
    /// `TERMINATING`, `TERMINATED` or `ERROR`, and with [`ClusterError::Timeout`] (naming the
    /// last state seen) at the policy's deadline.
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) {
    /// match clusters.wait_running(&id).await {
    ///     Ok(c) => println!("running, {} workers", c.num_workers.unwrap_or(0)),
    ///     Err(e) => match e.termination_reason() {
    ///         Some(reason) => println!("it terminated: {reason}"),
    ///         None => println!("{e}"),
    ///     },
    /// }
    /// # }
    /// ```
    pub async fn wait_running(&self, cluster_id: &ClusterId) -> WaitResult {
        self.wait_for(cluster_id, State::Running).await
    }

    /// Wait until the cluster is `TERMINATED`, and return it. Fails fast on `ERROR`.
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> Result<(), dbx_clusters::ClusterError> {
    /// let c = clusters.wait_terminated(&id).await?;
    /// println!("{:?}", c.termination_reason);
    /// # Ok(()) }
    /// ```
    pub async fn wait_terminated(&self, cluster_id: &ClusterId) -> WaitResult {
        self.wait_for(cluster_id, State::Terminated).await
    }

    /// [`create`](ClustersApi::create), then [`wait_running`](ClustersApi::wait_running).
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi) -> Result<(), dbx_clusters::ClusterError> {
    /// use dbx_clusters::ClusterSpec;
    /// let c = clusters
    ///     .create_and_wait(&ClusterSpec::new("13.3.x-scala2.12").node_type_id("i3.xlarge").num_workers(1))
    ///     .await?;
    /// println!("{} is up", c.id());
    /// # Ok(()) }
    /// ```
    pub async fn create_and_wait(&self, spec: &ClusterSpec) -> WaitResult {
        let id = self.create(spec).await?;
        self.wait_running(&id).await
    }

    /// [`start`](ClustersApi::start), then [`wait_running`](ClustersApi::wait_running).
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> Result<(), dbx_clusters::ClusterError> {
    /// clusters.start_and_wait(&id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn start_and_wait(&self, cluster_id: &ClusterId) -> WaitResult {
        self.start(cluster_id).await?;
        self.wait_running(cluster_id).await
    }

    /// [`restart`](ClustersApi::restart), then [`wait_running`](ClustersApi::wait_running).
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> Result<(), dbx_clusters::ClusterError> {
    /// let c = clusters.restart_and_wait(&id).await?;
    /// println!("new Spark context {:?}", c.spark_context_id);
    /// # Ok(()) }
    /// ```
    pub async fn restart_and_wait(&self, cluster_id: &ClusterId) -> WaitResult {
        self.restart(cluster_id).await?;
        self.wait_running(cluster_id).await
    }

    /// [`resize`](ClustersApi::resize), then [`wait_running`](ClustersApi::wait_running).
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> Result<(), dbx_clusters::ClusterError> {
    /// clusters.resize_and_wait(&id, 4).await?;
    /// # Ok(()) }
    /// ```
    pub async fn resize_and_wait(
        &self,
        cluster_id: &ClusterId,
        workers: impl Into<Workers>,
    ) -> WaitResult {
        self.resize(cluster_id, workers).await?;
        self.wait_running(cluster_id).await
    }

    /// [`edit`](ClustersApi::edit), then [`wait_running`](ClustersApi::wait_running), as the
    /// official SDKs do. Editing a `TERMINATED` cluster leaves it terminated, so this then fails
    /// with [`ClusterError::Failed`]: use [`edit`](ClustersApi::edit) alone for those.
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> Result<(), dbx_clusters::ClusterError> {
    /// let spec = clusters.get(&id).await?.to_spec().autotermination_minutes(60);
    /// clusters.edit_and_wait(&id, &spec).await?;
    /// # Ok(()) }
    /// ```
    pub async fn edit_and_wait(&self, cluster_id: &ClusterId, spec: &ClusterSpec) -> WaitResult {
        self.edit(cluster_id, spec).await?;
        self.wait_running(cluster_id).await
    }

    /// [`update`](ClustersApi::update), then [`wait_running`](ClustersApi::wait_running) (the
    /// same caveat as [`edit_and_wait`](ClustersApi::edit_and_wait) for a terminated cluster).
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> Result<(), dbx_clusters::ClusterError> {
    /// use dbx_clusters::ClusterSpec;
    /// let change = ClusterSpec::default().num_workers(3);
    /// clusters.update_and_wait(&id, &["num_workers"], &change).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_and_wait(
        &self,
        cluster_id: &ClusterId,
        update_mask: &[&str],
        cluster: &ClusterSpec,
    ) -> WaitResult {
        self.update(cluster_id, update_mask, cluster).await?;
        self.wait_running(cluster_id).await
    }

    /// [`delete`](ClustersApi::delete) (terminate), then
    /// [`wait_terminated`](ClustersApi::wait_terminated).
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> Result<(), dbx_clusters::ClusterError> {
    /// clusters.delete_and_wait(&id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_and_wait(&self, cluster_id: &ClusterId) -> WaitResult {
        self.delete(cluster_id).await?;
        self.wait_terminated(cluster_id).await
    }

    /// Make sure the cluster is `RUNNING`, whatever its state: return at once if it runs; wait
    /// out `PENDING`, `RESTARTING` and `RESIZING`; start a `TERMINATED` cluster (and a
    /// `TERMINATING` one once it has terminated) and wait for it. A start that loses a race
    /// (`INVALID_STATE`: someone else started it) is retried from the new state, as the official
    /// SDKs' `ensure_cluster_is_running` does. `ERROR` and `UNKNOWN` fail.
    ///
    /// ```no_run
    /// # async fn demo(clusters: dbx_clusters::ClustersApi, id: dbx_clusters::ClusterId) -> Result<(), dbx_clusters::ClusterError> {
    /// let c = clusters.ensure_running(&id).await?;
    /// assert_eq!(c.state, Some(dbx_clusters::State::Running));
    /// # Ok(()) }
    /// ```
    pub async fn ensure_running(&self, cluster_id: &ClusterId) -> WaitResult {
        let started = tokio::time::Instant::now();
        loop {
            let details = self.get(cluster_id).await?;
            let state = details.state();
            let outcome = match state {
                State::Running => return Ok(details),
                State::Pending | State::Restarting | State::Resizing => {
                    return self.wait_running(cluster_id).await
                }
                State::Terminated => self.start_and_wait(cluster_id).await,
                State::Terminating => match self.wait_terminated(cluster_id).await {
                    Ok(_) => self.start_and_wait(cluster_id).await,
                    Err(e) => Err(e),
                },
                _ => return Err(ClusterError::failed(State::Running, details)),
            };
            match outcome {
                Err(ClusterError::Api(e)) if e.error_code() == Some("INVALID_STATE") => {
                    tracing::debug!(cluster_id = %cluster_id, error = %e,
                        "the cluster changed state under us; looking again");
                    if started.elapsed() > self.wait.deadline {
                        return Err(ClusterError::Timeout {
                            cluster_id: cluster_id.clone(),
                            wanted: State::Running,
                            elapsed: started.elapsed(),
                            last_state: Some(state),
                            state_message: details.state_message,
                        });
                    }
                    tokio::time::sleep(self.wait.interval).await;
                }
                other => return other,
            }
        }
    }

    async fn wait_for(&self, cluster_id: &ClusterId, wanted: State) -> WaitResult {
        let last: Mutex<Option<(State, Option<String>)>> = Mutex::new(None);
        let polled = poll_until(&self.wait, || {
            let (last, wanted) = (&last, &wanted);
            async move {
                let details = self.get(cluster_id).await?;
                let state = details.state();
                if let Ok(mut seen) = last.lock() {
                    *seen = Some((state.clone(), details.state_message.clone()));
                }
                if &state == wanted {
                    return Ok(Poll::Ready(Ok(details)));
                }
                if cannot_reach(wanted, &state) {
                    return Ok(Poll::Ready(Err(details)));
                }
                let words = match &details.state_message {
                    Some(m) if !m.is_empty() => format!("{state}: {m}"),
                    _ => state.to_string(),
                };
                tracing::debug!(cluster_id = %cluster_id, %wanted, state = %words, "waiting for cluster");
                Ok(Poll::Pending(words))
            }
        })
        .await;
        match polled {
            Ok(Ok(details)) => Ok(details),
            Ok(Err(details)) => Err(ClusterError::failed(wanted, details)),
            Err(dbx_core::Error::WaitTimeout { elapsed, .. }) => {
                let seen = last.lock().ok().and_then(|s| s.clone());
                let (last_state, state_message) = match seen {
                    Some((s, m)) => (Some(s), m),
                    None => (None, None),
                };
                Err(ClusterError::Timeout {
                    cluster_id: cluster_id.clone(),
                    wanted,
                    elapsed,
                    last_state,
                    state_message,
                })
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Whether `state` rules out reaching `wanted` without another call.
fn cannot_reach(wanted: &State, state: &State) -> bool {
    match wanted {
        State::Running => state.is_stopped_or_stopping(),
        State::Terminated => matches!(state, State::Error),
        _ => false,
    }
}
