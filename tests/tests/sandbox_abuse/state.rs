//! The state's own bounds, in-process: the delivery history is a ring that counts what fell
//! off, the inbox keeps at most so many entries and bytes and pages by number, faults are
//! found in the order they were scripted whatever fragment they match.

use eximbay_sim::{
    DELIVERY_HISTORY_MAX, Delivery, DeliveryLog, INBOX_MAX_ENTRIES, INBOX_PAGE_MAX, Inbox,
};
use eximbay_sim::{Fault, FaultKind, Faults, MAX_FAULTS};

#[test]
fn the_delivery_history_is_a_ring_that_counts_what_fell_off() {
    let mut log = DeliveryLog::default();
    for n in 0..(DELIVERY_HISTORY_MAX + 5) {
        log.push(Delivery {
            url: "http://127.0.0.1:9/".into(),
            transaction_id: format!("T-{n}"),
            attempt: 1,
            acknowledged: false,
        });
    }
    assert_eq!(log.len(), DELIVERY_HISTORY_MAX);
    assert_eq!(log.dropped, 5);
    assert_eq!(log.front().unwrap().transaction_id, "T-5");
    assert_eq!(
        log.last().unwrap().transaction_id,
        format!("T-{}", DELIVERY_HISTORY_MAX + 4)
    );
    let latest = log.latest(3);
    assert_eq!(
        latest
            .iter()
            .map(|d| d.transaction_id.as_str())
            .collect::<Vec<_>>(),
        [10_002, 10_003, 10_004].map(|n| format!("T-{n}"))
    );
}

#[test]
fn the_inbox_keeps_its_bounds_and_pages_by_number() {
    let mut inbox = Inbox::default();
    for n in 0..(INBOX_MAX_ENTRIES + 10) {
        assert!(inbox.receive(format!("n={n}").as_bytes(), false, 0));
    }
    assert_eq!(inbox.len(), INBOX_MAX_ENTRIES);
    assert_eq!((inbox.received(), inbox.dropped), (10_010, 10));
    assert_eq!(inbox.front().unwrap().seq, 11);
    // Numbers before the oldest kept start at the oldest; a page holds at most 1,000.
    let page = inbox.page(0, usize::MAX);
    assert_eq!(page.entries.len(), INBOX_PAGE_MAX);
    assert_eq!(page.entries[0].seq, 11);
    assert_eq!(page.next, Some(1_010));
    let page = inbox.page(10_005, 2);
    assert_eq!(
        page.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [10_006, 10_007]
    );
    assert_eq!(page.next, Some(10_007));
    let last = inbox.page(10_008, 10);
    assert_eq!(last.entries.len(), 2);
    assert_eq!(last.next, None);
    assert!(inbox.page(10_010, 10).entries.is_empty());
    // A body of 5 MiB, then another: the first falls off to keep 8 MiB.
    let big = vec![b'x'; 5 * 1024 * 1024];
    inbox.receive(&big, false, 0);
    inbox.receive(&big, false, 0);
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox.bytes(), big.len());
    // A page always holds at least one entry, however large.
    assert_eq!(inbox.page(0, 10).entries.len(), 1);
}

#[test]
fn faults_are_capped_and_met_in_the_order_scripted() {
    let fault = |fragment: &str, count: u32, rescode: &str| Fault {
        path_contains: fragment.into(),
        count,
        kind: FaultKind::Decline {
            rescode: rescode.into(),
            status: None,
        },
    };
    let rescode = |kind: Option<FaultKind>| match kind {
        Some(FaultKind::Decline { rescode, .. }) => rescode,
        other => format!("{other:?}"),
    };
    let mut faults = Faults::default();
    assert!(faults.add(fault("/capture", 1, "A")));
    assert!(faults.add(fault("/v1/", 2, "B")));
    assert!(faults.add(fault("/capture", 1, "C")));
    let capture = "/v1/payments/T/capture";
    assert_eq!(rescode(faults.take(capture)), "A");
    assert_eq!(rescode(faults.take("/v1/payments/retrieve")), "B");
    assert_eq!(rescode(faults.take(capture)), "B");
    assert_eq!(rescode(faults.take(capture)), "C");
    assert_eq!(faults.take(capture), None);
    for n in 0..MAX_FAULTS {
        assert!(faults.add(fault(&format!("/f{n}"), 1, "X")), "{n}");
    }
    assert!(!faults.add(fault("/capture", 1, "Y")), "the cap holds");
    assert_eq!(faults.room(), 0);
    assert_eq!(rescode(faults.take("/f7")), "X");
    assert_eq!(faults.room(), 1);
    faults.clear();
    assert_eq!(faults.room(), MAX_FAULTS);
}

#[test]
fn ready_bodies_are_remembered_up_to_a_bound() {
    use eximbay_sim::{WINDOWS_MAX, Windows};
    let mut windows = Windows::default();
    for n in 0..=WINDOWS_MAX {
        windows.remember_ready(format!("K{n}"), serde_json::json!({"n": n}));
    }
    assert!(
        windows.ready_body("K0").is_none(),
        "the oldest is forgotten"
    );
    assert!(windows.ready_body("K1").is_some());
    assert_eq!(
        windows.ready_body(&format!("K{WINDOWS_MAX}")).unwrap()["n"],
        WINDOWS_MAX
    );
}

#[test]
fn the_ledger_pages_registrations_too() {
    use eximbay_sim::{Sandbox, SandboxConfig};
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    for n in 0..1_005 {
        let new = serde_json::from_value(serde_json::json!({
            "order_id": format!("S-{n}"), "currency": "USD", "amount": "1.00",
            "transaction_type": "PAYMENT",
            "recurring": {"amount": "1.00", "url": "http://127.0.0.1:9/r"},
        }))
        .unwrap();
        sandbox.create_payment(new).unwrap();
    }
    let first = sandbox.ledger_page(None, None, 1, None);
    assert_eq!(first.recurring.len(), 1_000);
    let next = first.recurring_next.clone().unwrap();
    assert_eq!(first.recurring.last().unwrap().0, next);
    let rest = sandbox.ledger_page(None, None, 1, Some(&next));
    assert_eq!(rest.recurring.len(), 5);
    assert_eq!(rest.recurring_next, None);
    let all: std::collections::BTreeSet<String> = first
        .recurring
        .iter()
        .chain(&rest.recurring)
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(all.len(), 1_005);
}
