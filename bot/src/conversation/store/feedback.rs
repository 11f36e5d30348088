//! What residents made of the answers they were given, as stored on the answers' messages: votes
//! and what the person did right after an answer.

use std::collections::BTreeMap;

use storage::now_millis;
use storage::sqlx::{self, Row};

use super::{ConversationStore, StoreError};
use crate::conversation::feedback::{ANSWER, FollowUp, Vote};

/// Notes what the person did after a conversation's latest answer before message `before_seq`,
/// as part of writing their turn.
pub(super) async fn note_follow_up(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    conversation_id: &str,
    before_seq: i64,
    follow_up: FollowUp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE conversation_messages SET followed_by = $1 WHERE conversation_id = $2 AND seq = \
         (SELECT MAX(seq) FROM conversation_messages WHERE conversation_id = $2 AND outcome = $3 AND seq < $4)",
    )
    .bind(follow_up.as_str())
    .bind(conversation_id)
    .bind(ANSWER)
    .bind(before_seq)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

impl ConversationStore {
    /// Records a vote on an answer in a conversation, replacing any earlier one; `false` when the
    /// conversation has no answer with that number.
    pub async fn vote(&self, conversation_id: &str, seq: i64, vote: Vote) -> Result<bool, StoreError> {
        let changed = sqlx::query(
            "UPDATE conversation_messages SET vote = $1, voted_at = $2 WHERE conversation_id = $3 AND seq = $4 \
             AND role = 'bot' AND outcome = $5",
        )
        .bind(vote.as_str())
        .bind(now_millis())
        .bind(conversation_id)
        .bind(seq)
        .bind(ANSWER)
        .execute(self.database().writer())
        .await?
        .rows_affected();
        Ok(changed > 0)
    }

    /// The votes on a conversation's answers, by message number.
    pub async fn votes(&self, conversation_id: &str) -> Result<BTreeMap<i64, Vote>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, vote FROM conversation_messages WHERE conversation_id = $1 AND outcome = $2 \
             AND vote IS NOT NULL",
        )
        .bind(conversation_id)
        .bind(ANSWER)
        .fetch_all(self.database().pool())
        .await?;
        let mut votes = BTreeMap::new();
        for row in &rows {
            votes.insert(row.try_get("seq")?, storage::names::column(row, "vote")?);
        }
        Ok(votes)
    }

    /// The latest message of a conversation from the bot (not the person), if it is an answer:
    /// its number.
    pub async fn answer_last_said(&self, conversation_id: &str) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query(
            "SELECT seq, outcome FROM conversation_messages WHERE conversation_id = $1 AND role <> 'user' \
             ORDER BY seq DESC LIMIT 1",
        )
        .bind(conversation_id)
        .fetch_optional(self.database().pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let outcome: Option<String> = row.try_get("outcome")?;
        Ok((outcome.as_deref() == Some(ANSWER)).then(|| row.try_get("seq")).transpose()?)
    }
}
