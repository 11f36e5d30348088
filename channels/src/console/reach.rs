//! Reaching a resident who has left the chat: the phone numbers and email addresses they gave
//! in the conversation (shown to staff on the escalation's page only, never logged), and a text
//! message to a mobile number they gave, when a text message service is set up.

use axum::http::StatusCode;
use bot::conversation::{Conversation, Escalation, StaffActionError, StaffMember};
use serde_json::{Value, json};

use super::accounts::Principal;
use super::error::PageError;
use crate::AppState;
use crate::sms::SendError;

/// A way to reach someone outside the chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    /// A UK mobile number (national digits), which can be called or texted.
    Mobile(String),
    /// Another phone number (national digits), which can be called.
    Phone(String),
    /// An email address.
    Email(String),
}

impl Contact {
    /// What a stored contact (national digits, or a lowercased email address) is.
    pub fn of(contact: &str) -> Option<Contact> {
        if contact.contains('@') {
            return Some(Contact::Email(contact.to_string()));
        }
        if !contact.starts_with('0') || !contact.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        Some(if contact.starts_with("07") && contact.len() == 11 {
            Contact::Mobile(contact.to_string())
        } else {
            Contact::Phone(contact.to_string())
        })
    }

    /// The contact for the page: its kind, its value, how it reads and its link.
    fn view(&self) -> Value {
        match self {
            Contact::Mobile(number) | Contact::Phone(number) => {
                let kind = if matches!(self, Contact::Mobile(_)) { "mobile" } else { "phone" };
                json!({"kind": kind, "value": number, "shown": spaced(number), "href": format!("tel:{number}")})
            }
            Contact::Email(address) => {
                json!({"kind": "email", "value": address, "shown": address, "href": format!("mailto:{address}")})
            }
        }
    }
}

/// A national number in groups, as people write it: `07700 900123`.
fn spaced(number: &str) -> String {
    if number.len() == 11 { format!("{} {}", &number[..5], &number[5..]) } else { number.to_string() }
}

/// The ways to reach the person of a conversation: what they gave in it, and the number they
/// texted from.
pub async fn contacts(state: &AppState, conversation: &Conversation) -> Result<Vec<Contact>, StaffActionError> {
    let mut found: Vec<Contact> =
        state.engine.store().contacts_of(&conversation.id).await?.iter().filter_map(|c| Contact::of(c)).collect();
    if conversation.channel == crate::sms::CHANNEL
        && let Some(number) = Contact::of(&conversation.address)
        && !found.contains(&number)
    {
        found.insert(0, number);
    }
    Ok(found)
}

/// What the escalation's page shows about reaching the person.
pub fn context(state: &AppState, contacts: &[Contact]) -> Value {
    let views: Vec<Value> = contacts.iter().map(Contact::view).collect();
    let mobiles: Vec<Value> = contacts.iter().filter(|c| matches!(c, Contact::Mobile(_))).map(Contact::view).collect();
    json!({"contacts": views, "mobiles": mobiles, "can_text": state.sms.is_some()})
}

/// `POST /console/escalations/{id}/text` with `to` (a mobile number the person gave) and `text`:
/// for the member of staff who took the escalation. The inner error is a refusal to show on the
/// escalation's page (its status and message); the outer one, the page for a failure.
pub async fn text(
    state: &AppState,
    who: &Principal,
    id: &str,
    to: &str,
    text: &str,
) -> Result<Result<(), (StatusCode, String)>, PageError> {
    let member = StaffMember { username: who.username.clone(), name: who.display_name.clone() };
    let text = text.trim();
    let escalation = match state.engine.may_text(id, &member).await {
        Ok(escalation) => escalation,
        Err(StaffActionError::NoSuchEscalation(_)) => {
            return Err(PageError::not_found(state, who, "There is no such escalation."));
        }
        Err(StaffActionError::Store(error)) => {
            return Err(PageError::unavailable(state, who, "an escalation could not be read", &error));
        }
        Err(error) => return Ok(Err((StatusCode::CONFLICT, capitalised(&error.to_string())))),
    };
    if let Err(refused) = send(state, &escalation, to, text).await {
        return Ok(Err(refused));
    }
    state
        .engine
        .texted(id, &member, text.chars().count())
        .await
        .map_err(|error| PageError::unavailable(state, who, "a text sent could not be recorded", &error))?;
    Ok(Ok(()))
}

/// Sends a text to a mobile number the person gave, or says why not.
async fn send(state: &AppState, escalation: &Escalation, to: &str, text: &str) -> Result<(), (StatusCode, String)> {
    let refuse = |status: StatusCode, message: &str| Err((status, message.to_string()));
    let Some(sms) = &state.sms else {
        return refuse(
            StatusCode::CONFLICT,
            "Texts cannot be sent from here: no text message service is set up. Call them instead.",
        );
    };
    if text.is_empty() {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, "Write the text to send.");
    }
    let conversation = match state.engine.store().get(&escalation.conversation_id).await {
        Ok(Some(conversation)) => conversation,
        Ok(None) => return refuse(StatusCode::CONFLICT, "The conversation no longer exists."),
        Err(_) => return refuse(StatusCode::SERVICE_UNAVAILABLE, "Please try again shortly."),
    };
    let Ok(given) = contacts(state, &conversation).await else {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "Please try again shortly.");
    };
    if !given.contains(&Contact::Mobile(to.to_string())) {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose one of the mobile numbers they gave in the conversation.",
        );
    }
    match sms.send_from_staff(to, &conversation.id, text).await {
        Ok(()) => Ok(()),
        Err(SendError::OptedOut) => {
            refuse(StatusCode::CONFLICT, "That number has asked for no more texts from the council. Call them instead.")
        }
        Err(error @ SendError::TooLong(_)) => {
            refuse(StatusCode::UNPROCESSABLE_ENTITY, &capitalised(&error.to_string()))
        }
        Err(SendError::NoProvider) => {
            refuse(StatusCode::CONFLICT, "Texts cannot be sent to that number from here. Call them instead.")
        }
        Err(error) => {
            // Which number, and what the provider said about it, stay out of the log.
            tracing::warn!(kind = send_error_kind(&error), "a text from staff could not be sent");
            refuse(StatusCode::BAD_GATEWAY, "The text message service did not take the text. Try again, or call them.")
        }
    }
}

/// A message with its first letter in capitals, ending with a full stop.
fn capitalised(message: &str) -> String {
    let mut chars = message.chars();
    let first: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
    format!("{first}{}.", chars.as_str())
}

fn send_error_kind(error: &SendError) -> &'static str {
    match error {
        SendError::Unreachable(_) => "unreachable",
        SendError::Refused { .. } => "refused",
        SendError::Storage(_) => "storage",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_are_told_from_other_numbers_and_emails() {
        assert_eq!(Contact::of("07700900123"), Some(Contact::Mobile("07700900123".into())));
        assert_eq!(Contact::of("01632960555"), Some(Contact::Phone("01632960555".into())));
        assert_eq!(Contact::of("jo@example.org"), Some(Contact::Email("jo@example.org".into())));
        assert_eq!(Contact::of("+447700900123"), None);
        assert_eq!(spaced("07700900123"), "07700 900123");
    }
}
