//! The parts of a Bot Framework activity councilbot reads. Everything is optional, as it is on
//! the wire, and fields that arrive as `null` read as empty.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

fn nullable<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(deserializer: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// An activity received from a channel.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    /// `message`, `invoke`, `conversationUpdate`, `messageUpdate`, `messageDelete`, ...
    #[serde(rename = "type", default, deserialize_with = "nullable")]
    pub kind: String,
    /// Its id.
    #[serde(default, deserialize_with = "nullable")]
    pub id: String,
    /// The connector to answer through.
    #[serde(default, deserialize_with = "nullable")]
    pub service_url: String,
    /// The channel, `msteams` for Teams.
    #[serde(default, deserialize_with = "nullable")]
    pub channel_id: String,
    /// Who sent it.
    #[serde(default, deserialize_with = "nullable")]
    pub from: Account,
    /// Who it was sent to: the bot.
    #[serde(default, deserialize_with = "nullable")]
    pub recipient: Account,
    /// The conversation.
    #[serde(default, deserialize_with = "nullable")]
    pub conversation: ConversationAccount,
    /// The words of a message.
    #[serde(default, deserialize_with = "nullable")]
    pub text: String,
    /// A card's submitted values, or an invoke's payload.
    #[serde(default)]
    pub value: Option<Value>,
    /// An invoke's name.
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// Teams' own data: the tenant, among others.
    #[serde(default, deserialize_with = "nullable")]
    pub channel_data: Value,
    /// Who joined, on a `conversationUpdate`.
    #[serde(default, deserialize_with = "nullable")]
    pub members_added: Vec<Account>,
}

/// A user or bot on a channel.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// Their id on the channel.
    #[serde(default, deserialize_with = "nullable")]
    pub id: String,
    /// Their name.
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// Their Entra ID object id.
    #[serde(default, deserialize_with = "nullable")]
    pub aad_object_id: String,
}

/// The conversation an activity belongs to.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationAccount {
    /// Its id.
    #[serde(default, deserialize_with = "nullable")]
    pub id: String,
    /// `personal`, `groupChat` or `channel`.
    #[serde(default, deserialize_with = "nullable")]
    pub conversation_type: String,
    /// The tenant.
    #[serde(default, deserialize_with = "nullable")]
    pub tenant_id: String,
}

impl Activity {
    /// The Entra ID tenant the activity comes from.
    pub fn tenant(&self) -> &str {
        self.channel_data
            .pointer("/tenant/id")
            .and_then(Value::as_str)
            .filter(|tenant| !tenant.is_empty())
            .unwrap_or(&self.conversation.tenant_id)
    }

    /// Whether this is a one-to-one chat with the bot.
    pub fn is_personal(&self) -> bool {
        self.conversation.conversation_type.is_empty() || self.conversation.conversation_type == "personal"
    }

    /// The words of a message, without mentions of the bot or markup.
    pub fn words(&self) -> String {
        let mut text = String::with_capacity(self.text.len());
        let mut rest = self.text.as_str();
        // A mention of the bot is `<at>Name</at>`: left out with its name.
        while let Some(start) = rest.find("<at>") {
            text.push_str(&rest[..start]);
            rest = match rest[start..].find("</at>") {
                Some(end) => &rest[start + end + "</at>".len()..],
                None => "",
            };
        }
        text.push_str(rest);
        let mut plain = String::with_capacity(text.len());
        let mut in_tag = false;
        for c in text.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                c if !in_tag => plain.push(c),
                _ => {}
            }
        }
        plain
            .replace("&nbsp;", " ")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_and_missing_fields_read_as_empty() {
        let activity: Activity = serde_json::from_str(r#"{"type": "message", "text": null, "from": null}"#).unwrap();
        assert_eq!(activity.kind, "message");
        assert_eq!(activity.text, "");
        assert_eq!(activity.from, Account::default());
        assert!(activity.is_personal());
    }

    #[test]
    fn mentions_and_markup_are_left_out_of_the_words() {
        let activity = Activity {
            text: "<at>Council Bot</at> <p>status of repair&nbsp;HR-100103 &amp; more</p>".into(),
            ..Activity::default()
        };
        assert_eq!(activity.words(), "status of repair HR-100103 & more");
    }
}
