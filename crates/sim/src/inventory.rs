//! The inventory: every request field the sandbox accepts, per route (each v1 path and
//! each legacy surface / `txntype`), with the source that shows it — a document, a seed, a
//! public sample or a real payload. `docs/sandbox-inventory.md` is [`markdown`]'s output
//! (a test keeps the two equal).
//!
//! A field in the inventory is accepted on its route: the sandbox reads those that change
//! its answer ([`Use::Read`]) and ignores the rest. A field it does not name is governed by
//! [`Behaviour::undeclared_fields`](crate::Behaviour::undeclared_fields). A refusal names
//! the field and why, never the deserialiser's path.

use serde_json::Value;

use crate::behaviour::FieldPolicy;

mod legacy;
mod v1;

pub use legacy::{
    DIRECT_PROCESSOR, LEGACY_WINDOW, direct_processor_declares, direct_processor_route,
};
pub use v1::V1;

/// What a field's value may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A JSON string, or a form value.
    Text,
    /// A JSON string or number (a public client sends a number); read as its text.
    TextOrNumber,
    /// A JSON object whose fields are listed.
    Object,
    /// A JSON object with any keys (its values text or numbers).
    Map,
    /// A JSON array of objects whose fields are listed under `path[]`.
    List,
}

/// Whether the sandbox's answer depends on the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// Read: it changes what the sandbox does or answers.
    Read,
    /// Accepted and ignored.
    Ignored,
}

/// One field of one route.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// JSON: dotted path, `[]` for list items (`product[].quantity`). Forms: the name, `#`
    /// for a line index (`item_#_product`).
    pub path: &'static str,
    /// What its value may be.
    pub kind: Kind,
    /// Required: refused when missing (JSON; for forms see
    /// [`Behaviour::missing_required`](crate::Behaviour::missing_required)).
    pub required: bool,
    /// Read or ignored.
    pub usage: Use,
    /// Where it comes from.
    pub source: &'static str,
}

/// The fields of one route.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    /// `POST /v1/payments/ready`, `BasicProcessor.krp`, `DirectProcessor.krp QUERY`, …
    pub name: &'static str,
    /// Its fields.
    pub fields: &'static [Field],
}

/// A field (the constructors below keep the tables short).
pub(crate) const fn field(
    path: &'static str,
    kind: Kind,
    required: bool,
    usage: Use,
    source: &'static str,
) -> Field {
    Field {
        path,
        kind,
        required,
        usage,
        source,
    }
}

impl Route {
    /// The field at `path`, if the route names it.
    pub fn get(&self, path: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.path == path)
    }

    /// The field a form's field name stands for: `item_0_product` is `item_#_product`.
    pub fn get_form(&self, name: &str) -> Option<&Field> {
        self.get(name).or_else(|| self.get(&form_pattern(name)))
    }

    /// Checks a JSON body against the route: fields of the right kind (numbers turned into
    /// their text where the inventory allows either) and required fields present. Fields
    /// the route does not name are taken out and returned (their paths as shown), for the
    /// caller to refuse or ignore as [`FieldPolicy`] says. `Err` is the refusal's message.
    pub fn check_json(&self, body: &mut Value) -> Result<Checked, String> {
        let Value::Object(_) = body else {
            return Err(format!("The body of {} must be a JSON object", self.name));
        };
        let mut checked = Checked::default();
        self.check_value("", "", body, &mut checked)?;
        Ok(checked)
    }

    /// The refusal of an undeclared field under `policy` (`None`: accepted).
    pub fn refuse_undeclared(&self, undeclared: &[String], policy: FieldPolicy) -> Option<String> {
        match (policy, undeclared.first()) {
            (FieldPolicy::Refuse, Some(path)) => Some(format!(
                "{path} is not a field of {} (the sandbox's inventory names every field a public source shows; undeclared_fields decides the rest)",
                self.name
            )),
            _ => None,
        }
    }

    /// Checks an object at `prefix` (inventory path) / `shown` (path with indices).
    fn check_value(
        &self,
        prefix: &str,
        shown: &str,
        value: &mut Value,
        found: &mut Checked,
    ) -> Result<(), String> {
        let Value::Object(object) = value else {
            return Ok(());
        };
        let join = |base: &str, key: &str| {
            if base.is_empty() {
                key.to_owned()
            } else {
                format!("{base}.{key}")
            }
        };
        let mut undeclared = Vec::new();
        for (key, child) in object.iter_mut() {
            let path = join(prefix, key);
            let shown_path = join(shown, key);
            let Some(field) = self.get(&path) else {
                undeclared.push(key.clone());
                found.undeclared.push(shown_path);
                continue;
            };
            match (field.kind, &mut *child) {
                (_, Value::Null) if !field.required => {}
                (Kind::Text, Value::String(_)) => {}
                (Kind::TextOrNumber, Value::String(_)) => {}
                (Kind::TextOrNumber, Value::Number(number)) => {
                    *child = Value::String(number.to_string());
                }
                (Kind::Object, Value::Object(_)) => {
                    self.check_value(&path, &shown_path, child, found)?;
                }
                (Kind::Map, Value::Object(map)) => {
                    if let Some((key, _)) = map
                        .iter()
                        .find(|(_, v)| !matches!(v, Value::String(_) | Value::Number(_)))
                    {
                        return Err(format!("{shown_path}.{key} must be text"));
                    }
                }
                (Kind::List, Value::Array(items)) => {
                    let item_path = format!("{path}[]");
                    for (i, item) in items.iter_mut().enumerate() {
                        if !item.is_object() {
                            return Err(format!("{shown_path}[{i}] must be an object"));
                        }
                        self.check_value(&item_path, &format!("{shown_path}[{i}]"), item, found)?;
                    }
                }
                (kind, _) => {
                    return Err(format!(
                        "{shown_path} must be {}",
                        match kind {
                            Kind::Text => "text",
                            Kind::TextOrNumber => "text or a number",
                            Kind::Object | Kind::Map => "an object",
                            Kind::List => "a list",
                        }
                    ));
                }
            }
        }
        for key in undeclared {
            object.remove(&key);
        }
        // Required fields directly under this object.
        let depth_prefix = if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}.")
        };
        for required in self.fields.iter().filter(|f| f.required) {
            let Some(rest) = required.path.strip_prefix(&depth_prefix) else {
                continue;
            };
            if rest.contains('.') || rest.contains("[]") {
                continue;
            }
            let present = object.get(rest).is_some_and(|v| !v.is_null());
            if !present {
                found.missing.push(join(shown, rest));
            }
        }
        Ok(())
    }
}

/// What [`Route::check_json`] found besides kind errors: fields the route does not name
/// (taken out of the body) and required fields missing, as shown paths. Whether an
/// undeclared field is refused is the behaviour's to say; it is judged before a missing one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    /// Fields the route does not name.
    pub undeclared: Vec<String>,
    /// Required fields missing.
    pub missing: Vec<String>,
}

/// A form field's name with each all-digit `_`-separated part replaced by `#`:
/// `item_0_product` -> `item_#_product`, `paypal_legs_1_carrier_code` ->
/// `paypal_legs_#_carrier_code` (`param1`, `cardno4` are left alone).
pub fn form_pattern(name: &str) -> String {
    name.split('_')
        .map(|part| {
            if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                "#"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("_")
}

/// Every route the inventory lists, v1 first.
pub fn routes() -> impl Iterator<Item = &'static Route> {
    V1.iter().chain(std::iter::once(&LEGACY_WINDOW)).chain(
        DIRECT_PROCESSOR
            .iter()
            .filter_map(|(_, routes)| routes.first().copied()),
    )
}

/// The inventory as the Markdown page `docs/sandbox-inventory.md`.
pub fn markdown() -> String {
    let mut page = String::from(
        "# Sandbox inventory: every request field eximbay-sim accepts, and its source\n\n\
         Generated from `crates/sim/src/inventory/` (`eximbay_sim::inventory::markdown()`); the\n\
         test `sandbox_inventory` fails when this page and the code differ (run it with\n\
         `UPDATE_INVENTORY=1` to rewrite the page). What each choice does is in\n\
         [sandbox.md](sandbox.md).\n\n\
         * **R**: required (JSON routes refuse a body without it; the legacy window refuses a\n  \
           form without it only under `missing_required: refuse`).\n\
         * **read**: the sandbox's answer depends on it; **ignored**: accepted, not read.\n\
         * A field not listed gets what `undeclared_fields` says for the surface (v1 and\n  \
           DirectProcessor: refused naming it; legacy window: ignored).\n\
         * Sources: *guide §x (digest §y)* is the legacy integration guide as digested in\n  \
           `reference/eximbay-legacy-guide-facts.md`; *seed 000/001/002* the gateway's own\n  \
           documents; repositories are public samples (the corpus under `tests/corpus/`).\n\
         * The legacy window includes the add-on blocks of digest §2.3 (PayPal airline App. E,\n  \
           Yandex App. F, DecisionManager App. G) and the domestic guide's tax fields.\n",
    );
    for route in routes() {
        page.push_str(&format!(
            "\n## {}\n\n| field | kind | R | use | source |\n|---|---|---|---|---|\n",
            route.name
        ));
        for f in route.fields {
            page.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                f.path,
                match f.kind {
                    Kind::Text => "text",
                    Kind::TextOrNumber => "text or number",
                    Kind::Object => "object",
                    Kind::Map => "object (any keys)",
                    Kind::List => "list",
                },
                if f.required { "R" } else { "" },
                match f.usage {
                    Use::Read => "read",
                    Use::Ignored => "ignored",
                },
                f.source.replace('|', "\\|")
            ));
        }
    }
    page
}
