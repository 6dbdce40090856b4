//! The payment window in a real browser: headless Chromium (Debian's `chromium`) driven over
//! WebDriver (`chromedriver`, with `fantoccini`), against the sandbox over loopback, from a
//! merchant page of our own that posts `PaymentForm`'s output or calls `request_pay` with
//! the core's payload.
//!
//! `.ci/run` installs `chromium` and `chromium-driver`. Screenshots of the window are kept
//! in `target/tmp/browser/` as test artifacts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use eximbay_tests::sandbox::{signed_config as config, start as sandbox};

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eximbay_core::ops::ready::Ready;
use eximbay_core::registration::RecurringRegistration;
use eximbay_core::window::{Line, PaymentForm};
use eximbay_core::{
    Amount, Currency, Lang, Notification, OrderId, SecretKey, Timestamp, TransactionType,
};
use eximbay_sim::DEFAULT_SECRET_KEY;
use eximbay_sim::RunningSandbox;
use eximbay_tests::browser::Browser;
use eximbay_tests::loopback::{Action, LoopbackServer};

/// The merchant's site: a checkout page to open (set once its own URL is known, since the
/// page's return_url points back here), and the return_url, which thanks the buyer.
struct Shop {
    server: LoopbackServer,
    checkout: Arc<Mutex<String>>,
}

impl Shop {
    fn start() -> Shop {
        let checkout = Arc::new(Mutex::new(String::new()));
        let page = checkout.clone();
        let server = LoopbackServer::start(move |req| {
            let html = if req.uri().path() == "/checkout" {
                page.lock().unwrap().clone()
            } else {
                "<html><body><h1 id=\"thanks\">Back at the shop</h1></body></html>".to_owned()
            };
            Action::Respond(
                http::Response::builder()
                    .header("content-type", "text/html; charset=utf-8")
                    .body(html.into_bytes())
                    .unwrap(),
            )
        });
        Shop { server, checkout }
    }

    fn base_url(&self) -> String {
        self.server.base_url()
    }

    fn sell(&self, page: String) -> String {
        *self.checkout.lock().unwrap() = page;
        format!("{}/checkout", self.base_url())
    }

    /// The fields the browser brought back to return_url (the latest visit).
    fn returned(&self) -> Vec<(String, String)> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(back) = self
                .server
                .requests()
                .into_iter()
                .rev()
                .find(|r| r.uri().path() == "/return" && r.method() == http::Method::POST)
            {
                return form_urlencoded::parse(back.body())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
            }
            assert!(
                Instant::now() < deadline,
                "the browser never came back to return_url"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Where the screenshots go: `target/tmp/browser/`.
fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser")
}

fn amount(text: &str) -> Amount {
    Amount::parse(text).unwrap()
}

fn payment_form(sandbox: &RunningSandbox, shop: &Shop, order: &str) -> PaymentForm {
    PaymentForm {
        transaction_type: TransactionType::Payment,
        order_id: OrderId::new(order),
        currency: Currency::Usd,
        amount: amount("12.00"),
        shop: "Tea & Co".into(),
        buyer: "Min-jun Kim".into(),
        email: "buyer@example.com".into(),
        tel: None,
        lang: Lang::En,
        return_url: format!("{}/return", shop.base_url()),
        status_url: format!("{}/_sim/inbox", sandbox.base_url()),
        display_type: None,
        os_type: None,
        params: Default::default(),
        items: vec![Line::new("Monthly tea box", 1, amount("10.00"))],
        surcharges: vec![Line::new("Shipping", 1, amount("2.00"))],
        recurring: None,
        options: Default::default(),
    }
}

fn field<'a>(fields: &'a [(String, String)], key: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v)
}

fn now(sandbox: &RunningSandbox) -> Timestamp {
    sandbox.sandbox().now()
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_legacy_window_approve_then_decline() {
    let sandbox = sandbox();
    let shop = Shop::start();
    let cfg = config(&sandbox);
    let approve = payment_form(&sandbox, &shop, "B-1")
        .sign(&cfg, now(&sandbox))
        .unwrap();
    let browser = Browser::start().await;
    browser
        .client
        .goto(&shop.sell(approve.html()))
        .await
        .unwrap();
    assert_eq!(browser.text_of("#shop").await, "Tea & Co");
    assert_eq!(browser.text_of("#order").await, "B-1");
    assert_eq!(browser.text_of("#amount").await, "12.00");
    assert!(browser.text_of("#lines").await.contains("Monthly tea box"));
    browser.screenshot(&shots(), "legacy-window").await;
    browser.click("Approve").await;
    browser.text_of("#thanks").await;
    let back = shop.returned();
    assert_eq!(field(&back, "rescode"), "0000");
    assert_eq!(field(&back, "ref"), "B-1");
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&back)
        .finish();
    Notification::parse(body.as_bytes())
        .unwrap()
        .verify(&SecretKey::new(DEFAULT_SECRET_KEY).unwrap())
        .unwrap();
    let tid = field(&back, "transid").to_owned();
    assert!(sandbox.wait_for(Duration::from_secs(10), |s| {
        s.inbox.iter().any(|e| e.verified && e.body.contains(&tid))
    }));
    assert!(sandbox.sandbox().ledger.payment(&tid).unwrap().captured);

    // Decline: back with a decline code, nothing moves.
    let decline = payment_form(&sandbox, &shop, "B-2")
        .sign(&cfg, now(&sandbox))
        .unwrap();
    browser
        .client
        .goto(&shop.sell(decline.html()))
        .await
        .unwrap();
    browser.click("Decline").await;
    browser.text_of("#thanks").await;
    assert_eq!(field(&shop.returned(), "rescode"), "HE01");
    assert_eq!(sandbox.sandbox().ledger.len(), 1);
    browser.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_tampered_form_is_refused() {
    let sandbox = sandbox();
    let shop = Shop::start();
    let signed = payment_form(&sandbox, &shop, "B-3")
        .sign(&config(&sandbox), now(&sandbox))
        .unwrap();
    // The buyer edits the amount in the page before it is posted.
    let page = signed.html().replace("value=\"12.00\"", "value=\"1.00\"");
    let browser = Browser::start().await;
    browser.client.goto(&shop.sell(page)).await.unwrap();
    assert_eq!(browser.text_of("#rescode").await, "EC00");
    browser.screenshot(&shots(), "tampered-form").await;
    assert!(sandbox.sandbox().ledger.is_empty());
    browser.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_v1_request_pay_approve() {
    let sandbox = sandbox();
    let shop = Shop::start();
    let cfg = config(&sandbox);
    let ready = Ready::new(
        TransactionType::Authorize,
        OrderId::new("V1-1"),
        Currency::Usd,
        amount("25.00"),
        Lang::En,
        ("Buyer", "buyer@example.com"),
        format!("{}/return", shop.base_url()),
        format!("{}/_sim/inbox", sandbox.base_url()),
    );
    let prepared = eximbay_ureq::Client::new(cfg.clone())
        .unwrap()
        .send(&ready)
        .unwrap();
    let payload = ready.request_pay(&cfg, &prepared).unwrap();
    let page = format!(
        "<!DOCTYPE html><html><body><script src=\"{}/v1/javascriptSDK.js\"></script>\
         <script>EXIMBAY.request_pay({payload});</script></body></html>",
        sandbox.base_url()
    );
    let browser = Browser::start().await;
    browser.client.goto(&shop.sell(page)).await.unwrap();
    assert_eq!(browser.text_of("#order").await, "V1-1");
    browser.screenshot(&shots(), "v1-window").await;
    browser.click("Approve").await;
    browser.text_of("#thanks").await;
    let back = shop.returned();
    assert_eq!(field(&back, "rescode"), "0000");
    browser.stop().await;
    // The payment exists, authorized, and the callback arrived signed.
    assert!(sandbox.wait_for(Duration::from_secs(10), |s| {
        s.inbox
            .iter()
            .any(|e| e.verified && e.body.contains("V1-1"))
    }));
    let sim = sandbox.sandbox();
    let payment = sim
        .ledger
        .payments()
        .find(|p| p.order_id == "V1-1")
        .unwrap();
    assert!(
        !payment.captured && !payment.voided,
        "an AUTHORIZE window authorizes"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_recurring_registration_is_charged_after_a_month() {
    let sandbox = sandbox();
    let shop = Shop::start();
    let cfg = config(&sandbox);
    let mut form = payment_form(&sandbox, &shop, "SUB-1");
    form.recurring = Some(RecurringRegistration::new(
        amount("12.00"),
        format!("{}/_sim/inbox", sandbox.base_url()),
    ));
    let page = form.sign(&cfg, now(&sandbox)).unwrap().html();
    let browser = Browser::start().await;
    browser.client.goto(&shop.sell(page)).await.unwrap();
    browser.click("Approve").await;
    // The browser is closed as soon as the window has answered Approve (it is back at the
    // shop): the callbacks do not need it.
    browser.text_of("#thanks").await;
    browser.stop().await;
    assert!(sandbox.wait_for(Duration::from_secs(10), |s| {
        !s.recurring.registrations.is_empty() && s.inbox.iter().any(|e| e.body.contains("SUB-1"))
    }));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let advanced = agent
        .post(format!("{}/_sim/clock", sandbox.base_url()))
        .send(r#"{"advance_days": 32}"#)
        .unwrap();
    assert_eq!(advanced.status(), 200);
    assert!(sandbox.wait_for(Duration::from_secs(10), |s| {
        s.inbox.iter().any(|e| {
            e.verified && e.body.contains("recurringRetry=1") && e.body.contains("rescode=0000")
        })
    }));
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_sandbox_checkout_by_hand() {
    // What `eximbay demo --serve` offers a person: the sandbox's own sample checkout.
    let sandbox = sandbox();
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{}/_sim/checkout", sandbox.base_url()))
        .await
        .unwrap();
    assert_eq!(browser.text_of("#shop").await, "eximbay-rs sandbox shop");
    browser.click("Approve").await;
    assert_eq!(browser.text_of("#verified").await, "fgkey verified");
    browser.screenshot(&shots(), "returned").await;
    browser.stop().await;
    assert!(sandbox.wait_for(Duration::from_secs(10), |s| {
        s.inbox
            .iter()
            .any(|e| e.verified && e.body.contains("CHECKOUT-"))
    }));
}
