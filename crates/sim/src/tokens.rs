//! Stored cards (token billing): made by a payment with token creation, charged again by
//! rebills, deleted for good.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ledger::{Refusal, refuse};

/// One stored card.
#[derive(Clone, Debug, Serialize)]
pub struct StoredCard {
    /// The payment that stored it.
    pub transaction_id: String,
    /// Deleted: it can never be charged again.
    pub deleted: bool,
    /// The payments rebilled on it.
    pub rebills: Vec<String>,
}

/// The stored cards by `token_id`.
#[derive(Clone, Debug, Default)]
pub struct Tokens {
    /// By id; private so that it and `by_payment` always agree.
    by_id: BTreeMap<String, StoredCard>,
    /// The card each storing payment made, by its transaction id.
    by_payment: BTreeMap<String, String>,
}

impl Tokens {
    /// The card stored under `token_id`, deleted or not.
    pub fn card(&self, token_id: &str) -> Option<&StoredCard> {
        self.by_id.get(token_id)
    }

    /// Every stored card with its `token_id`, in id order.
    pub fn cards(
        &self,
    ) -> impl DoubleEndedIterator<Item = (&str, &StoredCard)> + ExactSizeIterator {
        self.by_id.iter().map(|(id, card)| (id.as_str(), card))
    }

    /// Stores a card.
    pub fn create(&mut self, token_id: String, transaction_id: &str) {
        self.by_payment
            .insert(transaction_id.to_owned(), token_id.clone());
        self.by_id.insert(
            token_id,
            StoredCard {
                transaction_id: transaction_id.to_owned(),
                deleted: false,
                rebills: Vec::new(),
            },
        );
    }

    /// A card that can be charged or deleted; unknown or deleted ones are refused with
    /// `EC00` (no more specific code is documented).
    pub fn usable(&self, token_id: &str) -> Result<&StoredCard, Refusal> {
        match self.by_id.get(token_id) {
            Some(card) if !card.deleted => Ok(card),
            _ => Err(refuse("EC00", "Invalid token_id")),
        }
    }

    /// The `token_id` of the card a payment stored, if it stored one.
    pub fn of_payment(&self, transaction_id: &str) -> Option<&str> {
        self.by_payment.get(transaction_id).map(String::as_str)
    }

    /// Records a rebill.
    pub fn rebilled(&mut self, token_id: &str, transaction_id: &str) {
        if let Some(card) = self.by_id.get_mut(token_id) {
            card.rebills.push(transaction_id.to_owned());
        }
    }

    /// Deletes a card.
    pub fn delete(&mut self, token_id: &str) -> Result<(), Refusal> {
        self.usable(token_id)?;
        if let Some(card) = self.by_id.get_mut(token_id) {
            card.deleted = true;
        }
        Ok(())
    }
}
