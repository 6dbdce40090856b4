//! Callback delivery: a bounded queue drained by a fixed number of workers. A request (or a
//! clock advance) that makes callbacks hands them to the queue without waiting; when the
//! queue is full the callback is not delivered, and that is counted
//! ([`DeliveryLog::refused`]) and logged, never turned into an unbounded pile of tasks.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::{SharedSandbox, locked};
use crate::callbacks::{Callback, Delivery, DeliveryLog};

/// The sending end of the delivery queue (cheap to clone).
#[derive(Clone, Debug)]
pub(crate) struct DeliveryQueue {
    sender: mpsc::Sender<Callback>,
}

impl DeliveryQueue {
    /// Starts `workers` delivery workers on the current runtime, reading a queue of
    /// `capacity` callbacks. They stop when every [`DeliveryQueue`] is dropped.
    pub(crate) fn start(
        workers: usize,
        capacity: usize,
        client: reqwest::Client,
        sandbox: SharedSandbox,
        retry_delay: Duration,
    ) -> Self {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
        for _ in 0..workers.max(1) {
            let receiver = receiver.clone();
            let client = client.clone();
            let sandbox = sandbox.clone();
            tokio::spawn(async move {
                loop {
                    // One worker waits on the queue at a time; the others wait for it.
                    let next = receiver.lock().await.recv().await;
                    let Some(callback) = next else { return };
                    deliver(callback, client.clone(), sandbox.clone(), retry_delay).await;
                }
            });
        }
        DeliveryQueue { sender }
    }

    /// Hands callbacks to the workers without waiting, counting in `log` those queued and
    /// those refused because the queue is full. Cheap: meant to be called holding the lock.
    pub(crate) fn enqueue(&self, callbacks: Vec<Callback>, log: &mut DeliveryLog) {
        for callback in callbacks {
            match self.sender.try_send(callback) {
                Ok(()) => log.queued += 1,
                Err(_) => {
                    log.refused += 1;
                    // 1st, 10th, 100th, … refusal: visible without flooding the log.
                    if is_power_of_ten(log.refused) {
                        tracing::warn!(
                            refused = log.refused,
                            "callback delivery queue full: callbacks dropped undelivered"
                        );
                    }
                }
            }
        }
    }
}

fn is_power_of_ten(mut n: u64) -> bool {
    while n >= 10 && n % 10 == 0 {
        n /= 10;
    }
    n == 1
}

/// POSTs a signed callback until the merchant acknowledges it, at most as often as the
/// sandbox's `redelivery` choice says ([`crate::behaviour::Redelivery`]), logging every attempt in the sandbox's delivery history.
pub async fn deliver(
    callback: Callback,
    client: reqwest::Client,
    sandbox: SharedSandbox,
    retry_delay: Duration,
) {
    // The sandbox's `redelivery` choice, as it stands when the callback is picked up.
    let redelivery = locked(&sandbox, |s| s.behaviour().redelivery)
        .await
        .unwrap_or_default();
    let attempts = redelivery.attempts();
    for attempt in 1..=attempts {
        let sent = client
            .post(&callback.url)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(callback.body.clone())
            .send()
            .await;
        let acknowledged = match sent {
            Ok(response) => {
                let success = response.status().is_success();
                let body = response.text().await.unwrap_or_default();
                redelivery.delivered(success, &body)
            }
            Err(_) => false,
        };
        let delivery = Delivery {
            url: callback.url.clone(),
            transaction_id: callback.transaction_id.clone(),
            attempt,
            acknowledged,
        };
        let _ = locked(&sandbox, move |s| s.deliveries.push(delivery)).await;
        if acknowledged || attempt == attempts {
            return;
        }
        tokio::time::sleep(retry_delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::is_power_of_ten;

    #[test]
    fn refusals_are_logged_at_powers_of_ten() {
        let logged: Vec<u64> = (0..=1_000).filter(|n| is_power_of_ten(*n)).collect();
        assert_eq!(logged, vec![1, 10, 100, 1_000]);
    }
}
