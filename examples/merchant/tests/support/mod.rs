//! What the shop's tests share beyond `eximbay-tests` (the sandbox, the throwaway PostgreSQL
//! server): app instances on a database, and the steps a buyer or an operator takes over
//! HTTP.
#![allow(dead_code)]

pub mod concurrency;

use std::sync::Arc;
use std::time::{Duration, Instant};

use eximbay_merchant::order::Order;
use eximbay_merchant::sandbox_control::EmbeddedSandbox;
use eximbay_merchant::store::Store;
use eximbay_merchant::{Gateway, Limits, Settings, Shop};
use eximbay_sim::RunningSandbox;
use eximbay_sim::{DEFAULT_API_KEY, DEFAULT_MID, DEFAULT_SECRET_KEY};
/// A sandbox on a free port, delivering callbacks quickly (`eximbay_tests::sandbox::start`).
pub use eximbay_tests::sandbox::start as sandbox;
use serde_json::{Value, json};

/// `sandbox` as the shop sees a sandbox beside it: its URL and its test clock (what
/// `main.rs` hands the shop when it starts one).
pub fn embedded(sandbox: &RunningSandbox) -> EmbeddedSandbox {
    let clock = sandbox.clone();
    EmbeddedSandbox::new(sandbox.base_url(), move || clock.sandbox().now())
}

/// One running instance of the shop.
pub struct App {
    /// `http://127.0.0.1:port`.
    pub url: String,
    /// The shop itself (its store, its settings).
    pub shop: Arc<Shop>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for App {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The operator every test app has.
pub const OPERATOR: &str = "operator";
/// Its password.
pub const PASSWORD: &str = "correct horse battery staple";

/// Starts an instance on `database`, talking to `sandbox`, with the default limits.
pub async fn start_app(database: &str, sandbox: &RunningSandbox, instance: &str) -> App {
    start_app_with(database, sandbox, instance, Limits::default()).await
}

/// Starts an instance on `database`, talking to `sandbox`, with `limits`; the operator
/// [`OPERATOR`] exists (created on the first start on this database).
pub async fn start_app_with(
    database: &str,
    sandbox: &RunningSandbox,
    instance: &str,
    limits: Limits,
) -> App {
    let store = Store::open(database).await.expect("the database opens");
    if store.operator_hash(OPERATOR).await.unwrap().is_none() {
        eximbay_merchant::auth::add_operator(&store, OPERATOR, PASSWORD, 0)
            .await
            .expect("the operator is created");
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let settings = Settings {
        public_url: url.clone(),
        gateway: Gateway::Embedded(embedded(sandbox)),
        mid: DEFAULT_MID.to_owned(),
        api_key: DEFAULT_API_KEY.to_owned(),
        secret_key: DEFAULT_SECRET_KEY.to_owned(),
        instance: instance.to_owned(),
        sweep_every: Duration::from_millis(200),
        lease_wait: Duration::from_secs(60),
        limits,
    };
    let shop = Shop::new(settings, store).expect("the shop starts");
    let serving = shop.clone();
    let task = tokio::spawn(async move {
        eximbay_merchant::serve(serving, listener).await.unwrap();
    });
    App { url, shop, task }
}

/// A SQLite file in a fresh temporary directory (kept alive by the returned guard).
pub fn sqlite() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("shop.db").display());
    (dir, url)
}

/// What most of the shop's tests start from: a sandbox, a fresh SQLite database (the
/// directory guard and the URL, as [`sqlite`]) and the shop's instance `a` on it. Bind the
/// guard (`(_dir, db)`) for as long as the test runs: dropping it deletes the database.
pub async fn one_shop() -> (RunningSandbox, (tempfile::TempDir, String), App) {
    let sandbox = sandbox();
    let (dir, db) = sqlite();
    let app = start_app(&db, &sandbox, "a").await;
    (sandbox, (dir, db), app)
}

/// An HTTP client that does not follow redirects (so a test sees them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Places an order at checkout; returns its id (from the page that opens the window).
pub async fn place_order(app: &App, product: &str, capture: &str) -> String {
    let page = client()
        .post(format!("{}/checkout", app.url))
        .form(&[
            ("product", product),
            ("capture", capture),
            ("buyer", "Min-jun Kim"),
            ("email", "buyer@example.com"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let orders = app.shop.store.orders().await.unwrap();
    let order = orders
        .iter()
        .find(|o| page.contains(&o.order_id))
        .expect("the checkout page names the new order");
    order.order_id.clone()
}

/// What the payment window does when the buyer approves, without a browser: the sandbox
/// creates the payment and POSTs the signed callback to the shop's `status_url`.
pub async fn approve_in_window(app: &App, sandbox: &RunningSandbox, order_id: &str) -> String {
    let order = app.shop.store.order(order_id).await.unwrap().unwrap();
    let mut body = json!({
        "order_id": order.order_id,
        "currency": order.currency.code(),
        "amount": order.amount.to_string(),
        "transaction_type": order.transaction_type,
        "status_url": app.shop.status_url(),
    });
    if order.recurring.is_none() && order.kind.as_str() == "subscription" {
        body["recurring"] =
            json!({ "amount": order.amount.to_string(), "url": app.shop.recurring_url() });
    }
    let created: Value = sim_post(sandbox, "/_sim/payments", body).await;
    created["transaction_id"]
        .as_str()
        .or_else(|| created["payment"]["transaction_id"].as_str())
        .expect("the sandbox names the payment")
        .to_owned()
}

/// An order for the sampler, paid (`"now"`) or authorized (`"later"`) through the window,
/// once its status_url notification has been applied: the order id, the transaction id
/// and the order as stored.
pub async fn bought(app: &App, sandbox: &RunningSandbox, capture: &str) -> (String, String, Order) {
    let order_id = place_order(app, "sampler", capture).await;
    let tid = approve_in_window(app, sandbox, &order_id).await;
    let stage = if capture == "later" {
        eximbay_merchant::order::Stage::Authorized
    } else {
        eximbay_merchant::order::Stage::Paid
    };
    let order = wait_for_order(app, &order_id, stage.key(), |o| o.stage() == stage).await;
    (order_id, tid, order)
}

/// A cash (bank-transfer) payment for a new sampler order, as the window registers it: the
/// sandbox POSTs `status=Registered` and the shop records the order as awaiting the
/// transfer. The order id and the registered transaction id.
pub async fn registered_cash_order(app: &App, sandbox: &RunningSandbox) -> (String, String) {
    let order_id = place_order(app, "sampler", "now").await;
    let created = sim_post(
        sandbox,
        "/_sim/payments",
        json!({"order_id": order_id, "currency": "USD", "amount": "25.00", "method": "cash",
               "status_url": app.shop.status_url()}),
    )
    .await;
    let tid = created["transaction_id"].as_str().unwrap().to_owned();
    wait_for_order(app, &order_id, "registered", |o| {
        o.stage() == eximbay_merchant::order::Stage::AwaitingTransfer
    })
    .await;
    (order_id, tid)
}

/// A sandbox control call.
pub async fn sim_post(sandbox: &RunningSandbox, path: &str, body: Value) -> Value {
    let response = client()
        .post(format!("{}{path}", sandbox.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

/// A signed-in operator's browser, without a browser: the session cookie, the page's CSRF
/// token, and the shop's own `Origin` on every POST (as a browser sends it).
#[derive(Clone)]
pub struct Session {
    /// The app's URL.
    pub url: String,
    /// `eximbay_session=…`.
    pub cookie: String,
    /// The session's CSRF token, read from a page.
    pub csrf: String,
}

/// Signs [`OPERATOR`] in on `app`.
pub async fn sign_in(app: &App) -> Session {
    match sign_in_as(&app.url, OPERATOR, PASSWORD).await {
        Ok(session) => session,
        Err(status) => panic!("sign-in refused: {status}"),
    }
}

/// Signs in on the shop at `url`; the refusal's status when refused.
pub async fn sign_in_as(url: &str, name: &str, password: &str) -> Result<Session, u16> {
    let response = client()
        .post(format!("{url}/sign-in"))
        .header("origin", url)
        .form(&[("name", name), ("password", password), ("next", "/orders")])
        .send()
        .await
        .unwrap();
    if response.status() != 303 {
        return Err(response.status().as_u16());
    }
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let mut session = Session {
        url: url.to_owned(),
        cookie,
        csrf: String::new(),
    };
    let page = session.page("/orders").await;
    session.csrf = hidden_fields(&page, "sign-out")
        .into_iter()
        .find(|(name, _)| name == "csrf")
        .expect("the page carries the CSRF token")
        .1;
    Ok(session)
}

impl Session {
    /// GETs a path with the session.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        client()
            .get(format!("{}{path}", self.url))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap()
    }

    /// A page's text.
    pub async fn page(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        response.text().await.unwrap()
    }

    /// POSTs a form with the session and the shop's origin (no CSRF token is added).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        client()
            .post(format!("{}{path}", self.url))
            .header("cookie", &self.cookie)
            .header("origin", &self.url)
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// The hidden fields of the form `form_id` on the order's page (a fresh page: fresh
    /// command keys).
    pub async fn form(&self, order_id: &str, form_id: &str) -> Vec<(String, String)> {
        let page = self.page(&format!("/orders/{order_id}")).await;
        let fields = hidden_fields(&page, form_id);
        assert!(!fields.is_empty(), "no form #{form_id} on the page: {page}");
        fields
    }

    /// Presses the button `action` on the order's page (a fresh page) with `extra` fields,
    /// confirming if asked; returns the command key and the response.
    pub async fn operate(
        &self,
        order_id: &str,
        action: &str,
        extra: &[(&str, &str)],
    ) -> (String, reqwest::Response) {
        let fields = self.form(order_id, &action.replace('_', "-")).await;
        let key = fields
            .iter()
            .find(|(name, _)| name == "command_key")
            .expect("the form has a command key")
            .1
            .clone();
        let response = self.submit(order_id, &fields, extra).await;
        (key, response)
    }

    /// Submits a command form's fields (as read from the page) with `extra`, confirmed.
    pub async fn submit(
        &self,
        order_id: &str,
        fields: &[(String, String)],
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut all: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        all.extend_from_slice(extra);
        all.push(("confirmed", "yes"));
        self.post(&format!("/orders/{order_id}/commands"), &all)
            .await
    }
}

/// The hidden inputs (name, value) of the form with id `form_id` in `page`.
pub fn hidden_fields(page: &str, form_id: &str) -> Vec<(String, String)> {
    let Some(start) = page.find(&format!("id=\"{form_id}\"")) else {
        return Vec::new();
    };
    let form = &page[start..];
    let form = &form[..form.find("</form>").unwrap_or(form.len())];
    let attribute = |input: &str, name: &str| {
        let marker = format!("{name}=\"");
        input
            .find(&marker)
            .map(|at| &input[at + marker.len()..])
            .and_then(|rest| rest.split('"').next())
            .map(str::to_owned)
    };
    form.split("<input ")
        .skip(1)
        .filter(|input| input.starts_with("type=\"hidden\""))
        .filter_map(|input| Some((attribute(input, "name")?, attribute(input, "value")?)))
        .collect()
}

/// Waits until the order satisfies `condition` (notifications arrive asynchronously).
pub async fn wait_for_order(
    app: &App,
    order_id: &str,
    what: &str,
    condition: impl Fn(&Order) -> bool,
) -> Order {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let order = app.shop.store.order(order_id).await.unwrap().unwrap();
        if condition(&order) {
            return order;
        }
        assert!(
            Instant::now() < deadline,
            "order {order_id} never became {what}; it is {:?}",
            order.stage()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The signed `status_url` body the sandbox sends about one of its payments (the fields it
/// signs, in its legacy names): a genuine redelivery of the same notification.
pub fn status_body(
    sandbox: &RunningSandbox,
    transaction_id: &str,
    extra: &[(&str, &str)],
) -> String {
    let sim = sandbox.sandbox();
    let payment = sim.ledger.payment(transaction_id).unwrap();
    let mut fields: Vec<(&str, String)> = vec![
        ("mid", DEFAULT_MID.to_owned()),
        ("ref", payment.order_id.clone()),
        ("cur", payment.currency.clone()),
        ("amt", payment.amount.clone()),
        ("txntype", payment.transaction_type.clone()),
        ("rescode", "0000".to_owned()),
        ("resmsg", "Success.".to_owned()),
        ("transid", payment.transaction_id.clone()),
        ("resdt", sim.kst_datetime()),
        ("param1", String::new()),
    ];
    for (key, value) in extra {
        match fields.iter_mut().find(|(k, _)| k == key) {
            Some(field) => field.1 = (*value).to_owned(),
            None => fields.push((key, (*value).to_owned())),
        }
    }
    sim.signed_form(&fields)
}

/// POSTs a notification body to one of the shop's endpoints.
pub async fn deliver(app: &App, path: &str, body: &str) -> (u16, String) {
    let response = client()
        .post(format!("{}{path}", app.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}
