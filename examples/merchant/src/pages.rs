//! The pages: minijinja templates (in `templates/`, compiled into the binary), HTML-escaped
//! by the engine. Nothing here builds HTML by hand.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use eximbay_core::Timestamp;
use minijinja::Environment;
use serde::Serialize;

/// The templates.
#[derive(Debug)]
pub struct Pages {
    env: Environment<'static>,
}

impl Default for Pages {
    fn default() -> Self {
        Self::new()
    }
}

impl Pages {
    /// The templates every shop in this process renders with (they are part of the binary,
    /// so one set serves all, and [`crate::error::ShopError`] renders its pages with it).
    pub fn shared() -> &'static Pages {
        static PAGES: std::sync::OnceLock<Pages> = std::sync::OnceLock::new();
        PAGES.get_or_init(Pages::new)
    }

    /// Loads every template (they are part of the binary).
    pub fn new() -> Self {
        let mut env = Environment::new();
        for (name, source) in [
            ("base.html", include_str!("../templates/base.html")),
            ("shop.html", include_str!("../templates/shop.html")),
            ("pay.html", include_str!("../templates/pay.html")),
            ("return.html", include_str!("../templates/return.html")),
            ("orders.html", include_str!("../templates/orders.html")),
            ("order.html", include_str!("../templates/order.html")),
            ("error.html", include_str!("../templates/error.html")),
            ("sign_in.html", include_str!("../templates/sign_in.html")),
            ("confirm.html", include_str!("../templates/confirm.html")),
            ("post.html", include_str!("../templates/post.html")),
        ] {
            // The templates are fixed at build time and covered by the tests: a syntax error
            // is a bug in this crate, reported on the first page that uses it.
            if let Err(error) = env.add_template(name, source) {
                tracing::error!(%error, template = name, "template does not compile");
            }
        }
        env.add_filter("when", |at: i64| when(at));
        Pages { env }
    }

    /// Renders a page, with this response's CSP nonce as `csp_nonce` (every inline
    /// `<script>` and `<style>` carries it, or the browser does not run it).
    pub fn render(&self, name: &str, context: impl Serialize) -> Response {
        let context = minijinja::context! {
            csp_nonce => crate::security::nonce(),
            ..minijinja::Value::from_serialize(&context)
        };
        match self.env.get_template(name).and_then(|t| t.render(context)) {
            Ok(html) => Html(html).into_response(),
            Err(error) => {
                tracing::error!(%error, template = name, "page did not render");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The page could not be shown.",
                )
                    .into_response()
            }
        }
    }

    /// An error page for people: what went wrong and what to do.
    pub fn error(&self, status: StatusCode, title: &str, message: &str) -> Response {
        let mut response = self.render(
            "error.html",
            minijinja::context! { title => title, message => message },
        );
        *response.status_mut() = status;
        response
    }
}

/// Unix seconds as `YYYY-MM-DD hh:mm KST`, the gateway's own time zone.
pub fn when(at: i64) -> String {
    let kst = at + 9 * 3600;
    let date = Timestamp(at).kst_date();
    let minutes = kst.rem_euclid(86_400) / 60;
    format!("{date} {:02}:{:02} KST", minutes / 60, minutes % 60)
}
