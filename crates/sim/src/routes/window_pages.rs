//! The payment window's pages: the window itself, the gateway-style error page, and the
//! stand-in SDK script.

use eximbay_core::window::escape_html;
use http::{Request, StatusCode};

use super::{Handled, text_response};
use crate::windows::WindowSession;

/// The test card the window shows, prefilled.
pub const TEST_CARD: &str = "4111 1111 1111 1111";

pub(super) fn html(status: StatusCode, body: String) -> Handled {
    Handled::respond(text_response(status, "text/html; charset=utf-8", body))
}

/// The gateway-style error page: nothing was created.
pub(super) fn error_page(rescode: &str, message: &str) -> Handled {
    html(
        StatusCode::OK,
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Eximbay: payment error</title></head>\n\
             <body><h1>Payment error</h1><p id=\"rescode\">{}</p><p id=\"resmsg\">{}</p></body></html>\n",
            escape_html(rescode),
            escape_html(message)
        ),
    )
}

pub(super) fn window_page(session: &WindowSession) -> String {
    let p = &session.payment;
    let rows: String = session
        .lines
        .iter()
        .map(|l| {
            format!(
                "<tr><td class=\"name\">{}</td><td class=\"quantity\">{}</td><td class=\"price\">{}</td></tr>\n",
                escape_html(&l.name),
                l.quantity,
                escape_html(&l.unit_price)
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Eximbay payment window (sandbox)</title>\n\
         <style>body{{font-family:sans-serif;max-width:32em;margin:2em auto}}table{{width:100%}}td.price,td.quantity{{text-align:right}}\
         .total{{font-size:1.4em}}button{{font-size:1.1em;margin-right:.5em}}</style></head>\n<body>\n\
         <h1 id=\"shop\">{shop}</h1>\n<p>Order <span id=\"order\">{order}</span></p>\n\
         <table id=\"lines\">\n{rows}</table>\n\
         <p class=\"total\"><span id=\"amount\">{amount}</span> <span id=\"currency\">{currency}</span></p>\n\
         <form method=\"post\" action=\"/window/{{WINDOW_ID}}\">\n\
         <p><label>Card number <input name=\"card\" value=\"{card}\" readonly></label>\n\
         <label>Expiry <input name=\"expiry\" value=\"12/30\" size=\"5\" readonly></label>\n\
         <label>CVC <input name=\"cvc\" value=\"123\" size=\"3\" readonly></label></p>\n\
         <button type=\"submit\" name=\"action\" value=\"approve\">Approve</button>\
         <button type=\"submit\" name=\"action\" value=\"decline\">Decline</button>\
         <button type=\"submit\" name=\"action\" value=\"cancel\">Cancel</button>\n\
         </form>\n</body></html>\n",
        shop = escape_html(&session.shop),
        order = escape_html(&p.order_id),
        amount = escape_html(&p.amount),
        currency = escape_html(&p.currency),
        card = TEST_CARD,
    )
}

/// The SDK stand-in. It posts the payload back to the host it was loaded from.
pub(super) fn sdk(request: &Request<Vec<u8>>) -> String {
    let host = request
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!(
        "// Stand-in for Eximbay's javascriptSDK.js, served by eximbay-sim.\n\
         window.EXIMBAY = {{\n\
         \x20 request_pay: function (payload) {{\n\
         \x20   var form = document.createElement('form');\n\
         \x20   form.method = 'post';\n\
         \x20   form.action = 'http://{host}/v1/window';\n\
         \x20   var input = document.createElement('input');\n\
         \x20   input.type = 'hidden';\n\
         \x20   input.name = 'payload';\n\
         \x20   input.value = JSON.stringify(payload);\n\
         \x20   form.appendChild(input);\n\
         \x20   document.body.appendChild(form);\n\
         \x20   form.submit();\n\
         \x20 }}\n\
         }};\n"
    )
}
