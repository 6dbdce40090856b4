//! Stored cards: `POST /v1/payments/tokenbilling/{token_id}/rebill` and `/delete`, and the
//! look-up `GET /v1/payments/tokenbilling/{token_id}` (its answer is the sandbox's guess,
//! [`TokenLookupAnswer`]).

use http::{Response, StatusCode};

use super::answers::{Acted, BareResult, CardInfo, Rebilled, RebilledPayment, TokenStatus};
use super::shared::{made_by_call, refused, wrong_mid};
use super::{gateway_error, json_response, wire};
use crate::behaviour::{RebillLines, Surface, TokenDeleteBody, TokenLookupAnswer};
use crate::ledger::valid_amount;
use crate::sandbox::Sandbox;

/// A rebill: a new, captured payment (`REBILL`) on a usable card, answered in the shape
/// the token-billing reference shows (`payment` with the issuer's fields, `card_info`
/// masked; the values are the sandbox's own).
pub(crate) fn rebill(
    sandbox: &mut Sandbox,
    token_id: &str,
    request: wire::RebillRequest,
) -> Response<Vec<u8>> {
    if let Some(response) = wrong_mid(sandbox, &request.merchant.mid) {
        return response;
    }
    if let Err(refusal) = sandbox.tokens.usable(token_id) {
        return refused(refusal);
    }
    let p = &request.payment;
    let Some(amount) =
        valid_amount(&p.amount, &p.currency).filter(|a| a.is_sign_positive() && !a.is_zero())
    else {
        return gateway_error("EC00", "Invalid amount");
    };
    // The token page's own sample sends an empty line: checked only when asked.
    if sandbox.behaviour().rebill_lines == RebillLines::Checked && !request.product.is_empty() {
        let total: Option<rust_decimal::Decimal> = request
            .product
            .iter()
            .map(|line| {
                let quantity: u32 = line.quantity.parse().ok().filter(|q| *q > 0)?;
                Some(
                    valid_amount(&line.unit_price, &p.currency)?
                        * rust_decimal::Decimal::from(quantity),
                )
            })
            .sum();
        if total != Some(amount) {
            return gateway_error("EC00", "The products do not add up to the amount");
        }
    }
    let (tid, date) = match made_by_call(sandbox, &p.order_id, &p.currency, &p.amount, "REBILL") {
        Ok(made) => made,
        Err(response) => return *response,
    };
    sandbox.tokens.rebilled(token_id, &tid);
    json_response(
        StatusCode::OK,
        &Rebilled {
            rescode: "0000",
            resmsg: "Success.",
            payment: RebilledPayment {
                order_id: &p.order_id,
                currency: &p.currency,
                amount: sandbox.echo(Surface::Retrieve, amount, &p.currency),
                transaction_id: &tid,
                auth_code: format!("{:06}", tid.len() * 7919 % 1_000_000),
                transaction_date: &date,
                access_country: "KR",
                payment_method: "P101",
                pay_to: "EXIMBAY.COM",
                lang: "EN",
                payment_method_name: "VISA",
            },
            card_info: CardInfo {
                card_holder: "MIN-JUN KIM",
                card_number1: "4111",
                card_number4: "1111",
            },
        },
    )
}

/// Deletes a card for good; an unknown or deleted one is refused (`EC00`).
pub(crate) fn delete(
    sandbox: &mut Sandbox,
    token_id: &str,
    request: &wire::TokenDeleteRequest,
) -> Response<Vec<u8>> {
    let body_allowed = match (sandbox.behaviour().token_delete_body, &request.merchant) {
        (TokenDeleteBody::Either, _) => true,
        (TokenDeleteBody::Merchant, merchant) => merchant.is_some(),
        (TokenDeleteBody::Empty, merchant) => merchant.is_none(),
    };
    if !body_allowed {
        return gateway_error(
            "EC00",
            "The delete body must be {\"merchant\": {\"mid\"}} or {} as token_delete_body says",
        );
    }
    if let Some(response) = request
        .merchant
        .as_ref()
        .and_then(|merchant| wrong_mid(sandbox, &merchant.mid))
    {
        return response;
    }
    match sandbox.tokens.delete(token_id) {
        Ok(()) => json_response(
            StatusCode::OK,
            &Acted {
                token_id: Some(token_id),
                ..Acted::success()
            },
        ),
        Err(refusal) => refused(refusal),
    }
}

/// The look-up, answered as [`TokenLookupAnswer`] says.
pub(crate) fn lookup(sandbox: &mut Sandbox, token_id: &str) -> Response<Vec<u8>> {
    let card = sandbox.tokens.card(token_id);
    match (sandbox.behaviour().token_lookup, card) {
        (_, None) => gateway_error("EC00", "Invalid token_id"),
        (TokenLookupAnswer::StatusField, Some(card)) => json_response(
            StatusCode::OK,
            &TokenStatus {
                rescode: "0000",
                resmsg: "Success.",
                token_id,
                status: if card.deleted { "DELETED" } else { "ACTIVE" },
            },
        ),
        (TokenLookupAnswer::RescodeOnly, Some(card)) if !card.deleted => json_response(
            StatusCode::OK,
            &BareResult {
                rescode: "0000",
                resmsg: "Success.",
            },
        ),
        (TokenLookupAnswer::RescodeOnly, Some(_)) => gateway_error("EC00", "Invalid token_id"),
    }
}
