//! The measured workloads, shared by the criterion timings (`core.rs`) and the callgrind
//! instruction counts (`counts.rs`): each group has a `baseline` (hand-written with the same
//! crates) and a `core` variant (eximbay-rs) doing the same work.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::hint::black_box;

use base64::Engine as _;
use eximbay_core::ops::capture::Capture;
use eximbay_core::{
    Amount, Currency, Lang, Notification, Operation, OrderId, SecretKey, SyncHttpClient,
    TransactionId,
};
use eximbay_tests::loopback::{Action, LoopbackServer};
use eximbay_tests::{API_KEY, MID, SECRET_KEY, TID, response, test_config};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const SEED_CAPTURE_RESPONSE: &str = r#"{"rescode":"0000","resmsg":"Success.","mid":"1849705C64","payment":{"order_id":"20220922114007","currency":"USD","amount":"1","transaction_id":"1849705C6420220922000016","captured_date":"20220922114212","partially_cancelable ":"Y"}}"#;

const NOTIFICATION: &str = "mid=1849705C64&ref=ORDER-0001&cur=USD&amt=10.50&rescode=0000&resmsg=Success.&transid=1849705C6420260101000001&param1=&email=buyer%2B1%40example.com&resdt=20260101120000&fgkey=140C8599A2858E43633F1A1D1868F0D726524A14A32F061E9152DE69A83037A9";

fn capture() -> Capture {
    Capture {
        transaction_id: TransactionId::new(TID),
        order_id: OrderId::new("20220902101716"),
        currency: Currency::Usd,
        amount: Amount::parse("1").unwrap(),
        lang: Lang::En,
    }
}

#[derive(Serialize)]
struct BaselineBody<'a> {
    mid: &'a str,
    payment: BaselinePayment<'a>,
}

#[derive(Serialize)]
struct BaselinePayment<'a> {
    order_id: &'a str,
    currency: &'a str,
    amount: &'a str,
    lang: &'a str,
}

fn baseline_request() -> http::Request<Vec<u8>> {
    let body = serde_json::to_vec(&BaselineBody {
        mid: MID,
        payment: BaselinePayment {
            order_id: "20220902101716",
            currency: "USD",
            amount: "1",
            lang: "EN",
        },
    })
    .unwrap();
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{API_KEY}:"))
    );
    http::Request::post(format!(
        "https://api-test.eximbay.com/v1/payments/{TID}/capture"
    ))
    .header("authorization", auth)
    .header("content-type", "application/json")
    .body(body)
    .unwrap()
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct BaselineReply {
    rescode: String,
    resmsg: String,
    mid: String,
    payment: BaselineCaptured,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct BaselineCaptured {
    order_id: String,
    currency: String,
    amount: String,
    transaction_id: String,
    captured_date: String,
    #[serde(rename = "partially_cancelable ")]
    partially_cancelable: String,
}

fn baseline_verify(body: &[u8], secret: &str) -> bool {
    let mut fields: BTreeMap<String, String> = serde_urlencoded::from_bytes(body).unwrap();
    let fgkey = fields.remove("fgkey").unwrap_or_default();
    let joined: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let digest = Sha256::digest(format!("{secret}?{}", joined.join("&")));
    hex::encode_upper(digest).eq_ignore_ascii_case(&fgkey)
}

/// The groups, with the ratio each must stay under.
pub const GROUPS: [(&str, f64); 4] = [
    ("capture_request", 1.1),
    ("capture_response", 1.1),
    ("notification_verify", 0.5),
    ("ureq_call", 1.05),
];

/// Everything the workloads need, prepared once.
pub struct Workloads {
    cfg: eximbay_core::Config,
    op: Capture,
    secret: SecretKey,
    url: String,
    adapter: eximbay_ureq::UreqHttp,
    raw: ureq::Agent,
    _server: LoopbackServer,
}

impl Workloads {
    /// Prepares the workloads and checks that both variants of each group agree.
    pub fn prepare() -> Self {
        let cfg = test_config();
        let op = capture();
        assert_eq!(
            op.to_http(&cfg).unwrap().body(),
            baseline_request().body(),
            "same bytes"
        );
        assert!(baseline_verify(NOTIFICATION.as_bytes(), SECRET_KEY));
        let server = LoopbackServer::start(|_| {
            Action::Respond(
                http::Response::builder()
                    .status(200)
                    .body(SEED_CAPTURE_RESPONSE.as_bytes().to_vec())
                    .unwrap(),
            )
        });
        Workloads {
            url: format!("{}/v1/payments/{TID}/capture", server.base_url()),
            cfg,
            op,
            secret: SecretKey::new(SECRET_KEY).unwrap(),
            adapter: eximbay_ureq::UreqHttp::new(&eximbay_ureq::Options::default()),
            raw: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .build()
                .into(),
            _server: server,
        }
    }

    fn loopback_request(&self) -> http::Request<Vec<u8>> {
        let mut request = self.op.to_http(&self.cfg).unwrap();
        *request.uri_mut() = self.url.parse().unwrap();
        request
    }

    /// Runs one iteration of a group's variant.
    pub fn run(&self, group: &str, variant: &str) {
        match (group, variant) {
            ("capture_request", "baseline") => {
                black_box(baseline_request());
            }
            ("capture_request", "core") => {
                black_box(self.op.to_http(black_box(&self.cfg)).unwrap());
            }
            ("capture_response", "baseline") => {
                let resp = response(200, SEED_CAPTURE_RESPONSE);
                let reply: BaselineReply = serde_json::from_slice(resp.body()).unwrap();
                black_box(reply.rescode == "0000" && reply.payment.partially_cancelable == "Y");
            }
            ("capture_response", "core") => {
                black_box(self.op.parse(response(200, SEED_CAPTURE_RESPONSE)).unwrap());
            }
            ("notification_verify", "baseline") => {
                black_box(baseline_verify(
                    black_box(NOTIFICATION.as_bytes()),
                    SECRET_KEY,
                ));
            }
            ("notification_verify", "core") => {
                let n = Notification::parse(black_box(NOTIFICATION.as_bytes())).unwrap();
                black_box(n.verify(&self.secret).is_ok());
            }
            ("ureq_call", "baseline") => {
                let mut resp = self.raw.run(self.loopback_request()).unwrap();
                black_box(resp.body_mut().read_to_vec().unwrap());
            }
            ("ureq_call", "core") => {
                black_box(self.adapter.call(self.loopback_request()).unwrap());
            }
            other => panic!("unknown workload {other:?}"),
        }
    }
}
