//! `POST /v1/payments/retrieve`, and the look-up it shares with the legacy QUERY: by
//! transaction id or order id (of an order's several payments, the one `retrieve_by_order`
//! says), hidden for `retrieve_lag`, answered in the shape `retrieve_shape` says.

use http::{Response, StatusCode};
use serde::Serialize;

use super::answers::{RetrievedPayment, V1Answer};
use super::shared::{refused, wrong_mid};
use super::{gateway_error, json_response, wire};
use crate::behaviour::{RetrieveShape, Surface, UnknownTransaction};
use crate::ledger::Refusal;
use crate::sandbox::Sandbox;

/// The transaction id a look-up finds (`None`: nothing, or not visible yet).
pub(crate) fn look_up(
    sandbox: &mut Sandbox,
    key_field: &str,
    transaction_id: Option<&str>,
    order_id: &str,
) -> Result<Option<String>, Refusal> {
    let behaviour = sandbox.behaviour();
    let found = sandbox
        .ledger
        .find(
            key_field,
            transaction_id,
            order_id,
            behaviour.retrieve_by_order,
        )?
        .map(|payment| payment.transaction_id.clone());
    let now = sandbox.now().0;
    Ok(found.filter(|tid| sandbox.ledger.visible(tid, behaviour.retrieve_lag, now)))
}

/// The flat shape: the payment's fields beside the result.
#[derive(Serialize)]
struct Flat<'a, P> {
    rescode: &'a str,
    resmsg: &'a str,
    mid: &'a str,
    #[serde(flatten)]
    payment: P,
}

/// A retrieve.
pub(crate) fn retrieve(sandbox: &mut Sandbox, request: wire::RetrieveRequest) -> Response<Vec<u8>> {
    if let Some(response) = wrong_mid(sandbox, &request.mid) {
        return response;
    }
    if !request.payment.lang_is_valid() {
        return gateway_error("EC00", "Invalid lang");
    }
    let found = look_up(
        sandbox,
        &request.key_field,
        request.payment.transaction_id.as_deref(),
        &request.payment.order_id,
    );
    let behaviour = sandbox.behaviour();
    let mid = sandbox.config().mid.as_str();
    let tid = match found {
        Ok(Some(tid)) => tid,
        Ok(None) => {
            #[derive(Serialize)]
            struct NoPayment<'a> {
                status: &'a str,
            }
            let none = NoPayment { status: "NONE" };
            return match (behaviour.unknown_transaction, behaviour.retrieve_shape) {
                (UnknownTransaction::Ec1002, _) => gateway_error("EC1002", "No such transaction"),
                (UnknownTransaction::StatusNone, RetrieveShape::Nested) => {
                    json_response(StatusCode::OK, &V1Answer::success(mid, none))
                }
                (UnknownTransaction::StatusNone, RetrieveShape::Flat) => json_response(
                    StatusCode::OK,
                    &Flat {
                        rescode: "0000",
                        resmsg: "Success.",
                        mid,
                        payment: none,
                    },
                ),
            };
        }
        Err(refusal) => return refused(refusal),
    };
    let Some(payment) = sandbox.ledger.payment(&tid) else {
        return gateway_error("EC1002", "No such transaction");
    };
    let amount = |value| sandbox.echo(Surface::Retrieve, value, &payment.currency);
    let answer = RetrievedPayment {
        order_id: &payment.order_id,
        currency: &payment.currency,
        amount: amount(payment.total()),
        transaction_id: &payment.transaction_id,
        transaction_type: &payment.transaction_type,
        status: payment.remote_status(),
        balance: amount(payment.balance()),
        payment_method: if payment.cash { None } else { Some("P101") },
        captured_date: payment.captured_date.as_deref(),
    };
    match behaviour.retrieve_shape {
        RetrieveShape::Nested => json_response(StatusCode::OK, &V1Answer::success(mid, answer)),
        RetrieveShape::Flat => json_response(
            StatusCode::OK,
            &Flat {
                rescode: "0000",
                resmsg: "Success.",
                mid,
                payment: answer,
            },
        ),
    }
}
