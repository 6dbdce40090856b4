//! The measured workloads, shared by the criterion timings (`core.rs`) and the callgrind
//! instruction counts (`counts.rs`): each group has a `baseline` (hand-written with the same
//! crates) and a `core` variant (eximbay-rs) doing the same work with the same amortisation.
//!
//! * `capture_request` — both sides build the same bytes (method, URL, headers, JSON body)
//!   per call and take the `Authorization` header computed once (the core's `Config` does
//!   that at construction; the baseline's is computed in `prepare`). The core also checks
//!   every field; the baseline trusts them.
//! * `capture_response` — both deserialise the seed's answer and keep the same tolerances:
//!   fields the gateway may omit are optional, `"partially_cancelable "` is read under both
//!   spellings, the code is trimmed, success is `0000`, the amount is required. The baseline
//!   reads into a struct with exactly the answer's fields; the core into its reply types,
//!   which also read a refusal's `errcode` and map unknown codes.
//! * `capture_roundtrip` — the two above in one iteration: build the request, parse the
//!   answer.
//! * `notification_verify` — both split the body borrowing where no decoding is needed
//!   (`form_urlencoded`), refuse nothing but sort the fields once, stream them into SHA-256
//!   and compare the hex; the core also keeps the fields for its accessors and checks keys
//!   for repeats.
//! * `notification_verify_{1k,10k,60k}` — the same, on signed bodies of about 1, 10 and
//!   60 KB (the seed's fields and distinct 40-character `note<n>` fields): the cost per
//!   byte must not grow with the body (linear parsing).
//! * `async_call` — both send the same request to the same loopback server on a
//!   current-thread tokio runtime, the baseline with a `reqwest::Client` built with the
//!   adapter's settings (no redirects, the same timeouts and User-Agent), the core through
//!   `ReqwestHttp::call` (URL check, size limit, latency field).
//! * `ureq_call` — both send the same request to the same loopback server, the baseline with a
//!   bare `ureq::Agent`, the core through the adapter (its classification, limits, stage
//!   tracking).
#![allow(dead_code)]

use std::hint::black_box;

use base64::Engine as _;
use eximbay_core::ops::capture::Capture;
use eximbay_core::{
    Amount, AsyncHttpClient, Currency, Lang, Notification, Operation, OrderId, SecretKey,
    SyncHttpClient, TransactionId,
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

fn baseline_request(authorization: &http::HeaderValue) -> http::Request<Vec<u8>> {
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
    http::Request::post(format!(
        "https://api-test.eximbay.com/v1/payments/{TID}/capture"
    ))
    .header("authorization", authorization.clone())
    .header("content-type", "application/json")
    .body(body)
    .unwrap()
}

/// What a careful hand-written client reads from a capture answer: the fields the gateway
/// may leave out are optional, the key that arrives with a trailing space is taken under both
/// spellings, and a code with trailing whitespace still counts — the tolerances the core
/// keeps, and no more.
#[derive(Deserialize)]
#[allow(dead_code)]
struct BaselineReply {
    rescode: Option<String>,
    resmsg: Option<String>,
    mid: Option<String>,
    payment: Option<BaselineCaptured>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct BaselineCaptured {
    order_id: Option<String>,
    currency: Option<String>,
    amount: Option<String>,
    transaction_id: Option<String>,
    captured_date: Option<String>,
    #[serde(alias = "partially_cancelable ")]
    partially_cancelable: Option<String>,
}

/// The baseline's parse: the reply, success only on `0000`, the payment and its amount
/// required, the flag read as `Y`/`N`.
fn baseline_capture_parse(body: &[u8]) -> Option<(BaselineCaptured, Option<bool>)> {
    let reply: BaselineReply = serde_json::from_slice(body).ok()?;
    if reply.rescode.as_deref().map(str::trim) != Some("0000") {
        return None;
    }
    let payment = reply.payment?;
    payment.amount.as_ref()?;
    let flag = match payment.partially_cancelable.as_deref().map(str::trim) {
        Some("Y") => Some(true),
        Some("N") => Some(false),
        _ => None,
    };
    Some((payment, flag))
}

/// A reasonable hand-written fgkey check: borrowed split, one sort, SHA-256 streamed, hex
/// compared.
fn baseline_verify(body: &[u8], secret: &str) -> bool {
    let mut fields: Vec<(std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>)> =
        form_urlencoded::parse(body).collect();
    let Some(at) = fields.iter().position(|(k, _)| k == "fgkey") else {
        return false;
    };
    let fgkey = fields.swap_remove(at).1;
    fields.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut hasher = Sha256::new();
    hasher.update(secret.as_bytes());
    hasher.update(b"?");
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            hasher.update(b"&");
        }
        hasher.update(k.as_bytes());
        hasher.update(b"=");
        hasher.update(v.as_bytes());
    }
    hex::encode_upper(hasher.finalize()).eq_ignore_ascii_case(&fgkey)
}

/// The groups, with the ratio each must stay under.
pub const GROUPS: [(&str, f64); 9] = [
    ("capture_request", 1.1),
    ("capture_response", 1.1),
    ("capture_roundtrip", 1.1),
    ("notification_verify", 1.1),
    ("notification_verify_1k", 1.1),
    ("notification_verify_10k", 1.1),
    ("notification_verify_60k", 1.1),
    ("ureq_call", 1.05),
    ("async_call", 1.05),
];

/// A signed notification of about `size` bytes: the seed's fields and as many distinct
/// `note<n>` fields (40 characters each) as it takes — a body that grows the way a hostile
/// or a very long one would, every field signed.
fn signed_notification(size: usize) -> String {
    let secret = SecretKey::new(SECRET_KEY).unwrap();
    let mut fields: Vec<(String, String)> = form_urlencoded::parse(NOTIFICATION.as_bytes())
        .filter(|(k, _)| k != "fgkey")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    // Each field adds `&k=v`; the fgkey field adds 70 bytes at the end.
    let mut length: usize = fields
        .iter()
        .map(|(k, v)| k.len() + v.len() + 2)
        .sum::<usize>()
        + 70;
    for n in 0.. {
        if length >= size {
            break;
        }
        let field = (format!("note{n}"), "x".repeat(40));
        length += field.0.len() + field.1.len() + 2;
        fields.push(field);
    }
    let fgkey = eximbay_core::fgkey::sign(
        &secret,
        fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &fields {
        form.append_pair(k, v);
    }
    form.append_pair("fgkey", &fgkey);
    form.finish()
}

/// Everything the workloads need, prepared once.
pub struct Workloads {
    cfg: eximbay_core::Config,
    /// The baseline's `Authorization` header, computed once as `Config` computes its own.
    authorization: http::HeaderValue,
    op: Capture,
    secret: SecretKey,
    url: String,
    adapter: eximbay_ureq::UreqHttp,
    raw: ureq::Agent,
    async_adapter: eximbay_async::ReqwestHttp,
    /// reqwest with the async adapter's settings (no redirects, timeouts, User-Agent).
    raw_async: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    /// Signed notifications of 1 KB, 10 KB and 60 KB (under the 64 KiB limit).
    notifications: [String; 3],
    _server: LoopbackServer,
}

impl Workloads {
    /// Prepares the workloads and checks that both variants of each group agree.
    pub fn prepare() -> Self {
        let cfg = test_config();
        let op = capture();
        let mut authorization = http::HeaderValue::try_from(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{API_KEY}:"))
        ))
        .unwrap();
        authorization.set_sensitive(true);
        let ours = op.to_http(&cfg).unwrap();
        let theirs = baseline_request(&authorization);
        assert_eq!(ours.body(), theirs.body(), "same bytes");
        assert_eq!(ours.uri(), theirs.uri(), "same URL");
        assert_eq!(ours.headers(), theirs.headers(), "same headers");
        assert!(baseline_verify(NOTIFICATION.as_bytes(), SECRET_KEY));
        let server = LoopbackServer::start(|_| {
            Action::Respond(
                http::Response::builder()
                    .status(200)
                    .body(SEED_CAPTURE_RESPONSE.as_bytes().to_vec())
                    .unwrap(),
            )
        });
        let notifications = [1_000, 10_000, 60_000].map(signed_notification);
        for body in &notifications {
            assert!(baseline_verify(body.as_bytes(), SECRET_KEY));
            let parsed = Notification::parse(body.as_bytes()).unwrap();
            assert!(parsed.verify(&SecretKey::new(SECRET_KEY).unwrap()).is_ok());
        }
        let options = eximbay_async::Options::default();
        Workloads {
            async_adapter: eximbay_async::ReqwestHttp::new(&options).unwrap(),
            raw_async: crate::raw_clients::reqwest_with_adapter_settings(&options),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            notifications,
            url: format!("{}/v1/payments/{TID}/capture", server.base_url()),
            cfg,
            authorization,
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
                black_box(baseline_request(black_box(&self.authorization)));
            }
            ("capture_request", "core") => {
                black_box(self.op.to_http(black_box(&self.cfg)).unwrap());
            }
            ("capture_response", "baseline") => {
                let resp = response(200, SEED_CAPTURE_RESPONSE);
                black_box(baseline_capture_parse(resp.body()).unwrap());
            }
            ("capture_response", "core") => {
                black_box(self.op.parse(response(200, SEED_CAPTURE_RESPONSE)).unwrap());
            }
            ("capture_roundtrip", "baseline") => {
                black_box(baseline_request(black_box(&self.authorization)));
                let resp = response(200, SEED_CAPTURE_RESPONSE);
                black_box(baseline_capture_parse(resp.body()).unwrap());
            }
            ("capture_roundtrip", "core") => {
                black_box(self.op.to_http(black_box(&self.cfg)).unwrap());
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
            (sized, variant) if sized.starts_with("notification_verify_") => {
                let body = match sized {
                    "notification_verify_1k" => &self.notifications[0],
                    "notification_verify_10k" => &self.notifications[1],
                    _ => &self.notifications[2],
                };
                if variant == "baseline" {
                    black_box(baseline_verify(black_box(body.as_bytes()), SECRET_KEY));
                } else {
                    let n = Notification::parse(black_box(body.as_bytes())).unwrap();
                    black_box(n.verify(&self.secret).is_ok());
                }
            }
            ("async_call", "baseline") => self.runtime.block_on(async {
                let request = reqwest::Request::try_from(self.loopback_request()).unwrap();
                let response = self.raw_async.execute(request).await.unwrap();
                black_box(response.bytes().await.unwrap());
            }),
            ("async_call", "core") => self.runtime.block_on(async {
                let response = self.async_adapter.call(self.loopback_request()).await;
                black_box(response.unwrap());
            }),
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
