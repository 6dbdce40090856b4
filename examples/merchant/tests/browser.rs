//! The whole shop in a real browser (headless Chromium over WebDriver), against the sandbox
//! embedded in the test and a SQLite database: buy, pay in the window, sign in to the back
//! office, capture, refund part, refund the rest (confirmed); subscribe, see a month's
//! charge, see three declines end it; sign out. Every page runs under the shop's CSP, so
//! the window's scripts (`request_pay`, the legacy auto-post form) are proven to carry
//! their nonces.
//!
//! Screenshots of each page go to `target/tmp/merchant/`; with `EXIMBAY_SCREENSHOTS=DIR`
//! they are also written to `DIR` (how `docs/merchant-*.png` are made).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use eximbay_merchant::order::Stage;
use eximbay_tests::browser::Browser;
use fantoccini::Locator;
use support::*;

struct Shopper {
    browser: Browser,
    app_url: String,
}

impl Shopper {
    async fn shot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("merchant");
        self.browser.screenshot(&dir, name).await;
        if let Ok(docs) = std::env::var("EXIMBAY_SCREENSHOTS") {
            self.browser
                .screenshot(&PathBuf::from(docs), &format!("merchant-{name}"))
                .await;
        }
    }

    async fn open(&self, path: &str) {
        self.browser
            .client
            .goto(&format!("{}{path}", self.app_url))
            .await
            .unwrap();
    }

    /// Clicks the submit button of the form with this id, and waits until the browser has
    /// left the page (so nothing is read from the page the form was on).
    async fn submit(&self, form: &str) {
        let before = self
            .browser
            .client
            .find(Locator::Css("body"))
            .await
            .unwrap();
        self.browser
            .client
            .wait()
            .for_element(Locator::Css(&format!("#{form} button")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while before.text().await.is_ok() {
            assert!(Instant::now() < deadline, "submitting #{form} left no page");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn fill(&self, css: &str, text: &str) {
        let field = self
            .browser
            .client
            .wait()
            .for_element(Locator::Css(css))
            .await
            .unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Reloads `path` until the element `css` contains `text` (notifications arrive on
    /// their own time); returns the element's text.
    async fn wait_for_text(&self, path: &str, css: &str, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            self.open(path).await;
            let found = match self.browser.client.find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if found.contains(text) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "{path}: {css} never showed {text:?} (it shows {found:?})"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn page_text(&self) -> String {
        self.browser
            .client
            .find(Locator::Css("main"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_buy_capture_refund_and_subscribe_through_the_shop() {
    let sandbox = sandbox();
    let (_dir, db) = sqlite();
    let app = start_app(&db, &sandbox, "browser").await;
    let shopper = Shopper {
        browser: Browser::start().await,
        app_url: app.url.clone(),
    };
    // Tall enough for an order page's history in its screenshots.
    shopper
        .browser
        .client
        .set_window_size(960, 1500)
        .await
        .unwrap();

    // The one-off item, authorized now and captured when shipped (the v1 window).
    shopper.open("/").await;
    shopper.shot("shop").await;
    shopper
        .browser
        .client
        .find(Locator::Css("#buy-sampler select[name=capture]"))
        .await
        .unwrap()
        .select_by_value("later")
        .await
        .unwrap();
    shopper.submit("buy-sampler").await;
    // The sandbox's window, opened by the SDK with the payload `ready` signed.
    assert_eq!(shopper.browser.text_of("#amount").await, "25.00");
    shopper.shot("window").await;
    shopper.browser.click("Approve").await;
    assert_eq!(shopper.browser.text_of("#outcome").await, "Thank you!");
    let order_id = shopper.browser.text_of("#order-id").await;
    shopper.shot("return").await;

    // The back office asks who you are first, and brings you to the order after.
    let page = format!("/orders/{order_id}");
    shopper.open(&page).await;
    assert!(
        shopper
            .page_text()
            .await
            .contains("for the shop's operators only")
    );
    shopper.fill("#sign-in input[name=name]", OPERATOR).await;
    shopper.shot("sign-in").await;
    shopper
        .fill("#sign-in input[name=password]", "not the password")
        .await;
    shopper.submit("sign-in").await;
    assert!(
        shopper
            .browser
            .text_of("#problem")
            .await
            .contains("do not match")
    );
    shopper.fill("#sign-in input[name=name]", OPERATOR).await;
    shopper
        .fill("#sign-in input[name=password]", PASSWORD)
        .await;
    shopper.submit("sign-in").await;
    assert_eq!(shopper.browser.text_of("#operator-name").await, OPERATOR);
    // The order is authorized once status_url has arrived.
    shopper.wait_for_text(&page, "#stage", "Authorized").await;
    shopper.submit("capture").await;
    assert!(
        shopper
            .browser
            .text_of("#result")
            .await
            .contains("Captured 25.00 USD.")
    );
    assert_eq!(shopper.browser.text_of("#stage").await, "Paid");
    shopper.fill("#refund input[name=amount]", "5.50").await;
    shopper
        .fill("#refund input[name=reason]", "one tin dented")
        .await;
    shopper.submit("refund").await;
    let result = shopper.browser.text_of("#result").await;
    assert!(result.contains("Refunded 5.50 USD"), "{result}");
    assert!(result.contains("19.50 USD is still refundable"), "{result}");
    shopper.shot("back-office").await;
    shopper.submit("refund-full").await;
    // A full refund asks first.
    assert!(
        shopper
            .browser
            .text_of("#question")
            .await
            .contains("Refund everything still refundable, 19.50 USD")
    );
    shopper.shot("confirm").await;
    shopper.submit("confirm").await;
    assert!(
        shopper
            .browser
            .text_of("#result")
            .await
            .contains("Refunded 19.50 USD")
    );
    assert_eq!(shopper.browser.text_of("#stage").await, "Refunded");
    assert_eq!(shopper.browser.text_of("#refundable").await, "0.00 USD");
    shopper.shot("order").await;
    let order = app.shop.store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(order.stage(), Stage::Refunded);

    // The subscription (the legacy window with a monthly registration).
    shopper.open("/").await;
    shopper.submit("buy-teabox").await;
    assert_eq!(shopper.browser.text_of("#amount").await, "12.00");
    shopper.browser.click("Approve").await;
    let subscription = shopper.browser.text_of("#order-id").await;
    let page = format!("/orders/{subscription}");
    shopper
        .wait_for_text(&page, "#subscription", "Active — next charge")
        .await;
    shopper.submit("advance").await;
    shopper
        .wait_for_text(&page, "#history", "Monthly charge: 12.00 USD charged")
        .await;
    shopper.shot("subscription").await;
    // Three declines in a row end it.
    shopper.submit("decline").await;
    assert!(
        shopper
            .browser
            .text_of("#sandbox-note")
            .await
            .contains("decline the next 3")
    );
    shopper.submit("advance").await;
    shopper
        .wait_for_text(&page, "#subscription", "after three failed charges")
        .await;
    let text = shopper.page_text().await;
    assert!(
        text.contains("attempt 3: the gateway ended the subscription"),
        "{text}"
    );
    assert!(
        !text.contains("End the subscription"),
        "nothing left to end: {text}"
    );
    shopper.shot("subscription-ended").await;

    shopper.open("/orders").await;
    let list = shopper.page_text().await;
    assert!(list.contains(&order_id) && list.contains(&subscription));
    shopper.shot("orders").await;
    // Signed out, the back office shows the sign-in page again.
    shopper.submit("sign-out").await;
    shopper.open("/orders").await;
    assert!(
        shopper
            .page_text()
            .await
            .contains("for the shop's operators only")
    );
    shopper.browser.stop().await;
}
