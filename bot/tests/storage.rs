//! Conversations kept in the database, on SQLite and on PostgreSQL: turns written whole,
//! transcripts in order, escalations merged, and personal data exported, erased and expired.

use std::time::Duration;

use bot::conversation::store::{
    ConversationStatus, ConversationStore, EscalationReason, NewEscalation, NewMessage, Priority, StoreError,
    TurnRecord,
};
use bot::conversation::{Audience, EscalationStatus, Reply, StaffMember};
use storage::{Database, TestPostgres};

use crate::support::{Council, conversation, say};

/// Runs a test on a fresh SQLite file and on a fresh PostgreSQL database.
async fn on_both_backends<F, Fut>(test: F)
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let directory = tempfile::tempdir().unwrap();
    test(format!("sqlite://{}", directory.path().join("councilbot.db").display())).await;
    let postgres = TestPostgres::create().await.expect("PostgreSQL at 127.0.0.1:5432 (set TEST_POSTGRES_URL)");
    test(postgres.url.clone()).await;
}

fn turn(state: &bot::conversation::state::DialogueState, texts: &[&str]) -> TurnRecord {
    TurnRecord {
        state: state.clone(),
        status: ConversationStatus::Active,
        messages: texts.iter().map(|text| NewMessage::bot(Reply::text(*text))).collect(),
        contacts: Vec::new(),
        escalation: None,
        follow_up: None,
        language: knowledge_base::Language::English,
    }
}

#[tokio::test]
async fn turns_are_written_whole_in_order_and_a_stale_turn_is_refused() {
    on_both_backends(|url| async move {
        let store = ConversationStore::open(Database::connect(&url).await.unwrap()).await.unwrap();
        let conversation = store.create("web", "", Audience::Resident).await.unwrap();
        let (stored, _) = store.commit_turn(&conversation, turn(&conversation.state, &["one", "two"])).await.unwrap();
        assert_eq!(stored.iter().map(|message| message.seq).collect::<Vec<_>>(), vec![1, 2]);

        // A turn computed from the conversation as it was before is refused, and writes nothing.
        let stale = store.commit_turn(&conversation, turn(&conversation.state, &["three"])).await;
        assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");

        // Messages added outside a turn take the next numbers; a repeated key is added once.
        let mut update = NewMessage::bot(Reply::text("run finished"));
        update.dedupe_key = Some("notification:1".into());
        assert_eq!(store.append(&conversation.id, vec![update.clone()]).await.unwrap()[0].seq, 3);
        assert!(store.append(&conversation.id, vec![update]).await.unwrap().is_empty());

        let fresh = store.get(&conversation.id).await.unwrap().unwrap();
        store.commit_turn(&fresh, turn(&fresh.state, &["four"])).await.unwrap();
        let words: Vec<String> = store
            .messages_after(&conversation.id, 1, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|message| message.reply.words().to_string())
            .collect();
        assert_eq!(words, vec!["two", "run finished", "four"]);
    })
    .await;
}

#[tokio::test]
async fn a_conversation_has_one_open_escalation_whose_priority_only_rises() {
    on_both_backends(|url| async move {
        let store = ConversationStore::open(Database::connect(&url).await.unwrap()).await.unwrap();
        let conversation = store.create("sms", "07700900123", Audience::Resident).await.unwrap();
        let asked = NewEscalation {
            reason: EscalationReason::Requested,
            detail: String::new(),
            priority: Priority::Normal,
            run_id: None,
            inputs: Default::default(),
        };
        let first = store.raise_escalation(&conversation.id, &asked).await.unwrap();
        let urgent = NewEscalation {
            reason: EscalationReason::Safeguarding,
            priority: Priority::High,
            detail: "gas".into(),
            ..asked.clone()
        };
        let second = store.raise_escalation(&conversation.id, &urgent).await.unwrap();
        assert_eq!(first.id, second.id);
        assert_eq!(second.priority, Priority::High);
        let calmer = store.raise_escalation(&conversation.id, &asked).await.unwrap();
        assert_eq!(calmer.priority, Priority::High, "priority never drops while open");
        let events: Vec<String> =
            store.escalation_events(&first.id).await.unwrap().into_iter().map(|event| event.kind).collect();
        assert_eq!(events, vec!["raised", "raised_again", "raised_again"]);
        assert_eq!(store.get(&conversation.id).await.unwrap().unwrap().status, ConversationStatus::Escalated);
        assert_eq!(store.escalations(Some(bot::conversation::EscalationStatus::Waiting), 10).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn everything_held_about_a_phone_number_or_email_is_exported_then_erased() {
    let council = Council::sample();
    let council = &council;
    on_both_backends(|url| async move {
        let engine = council.engine_on(&url, None).await;
        let id = conversation(&engine).await;
        say(&engine, &id, "my email is Jo.Bloggs@Example.org").await;
        say(&engine, &id, "my boiler is broken").await;
        for answer in ["EB4 2QX", "12", "heating", "The boiler shows error E1 since Sunday", "07700 900123", "yes"] {
            say(&engine, &id, answer).await;
        }
        let other = conversation(&engine).await;
        say(&engine, &other, "what day are bins collected in Oakley Green?").await;

        let runner = engine.runner().expect("runner");
        let journal = runner.journal();
        for contact in ["07700 900 123", "+447700900123", "JO.BLOGGS@example.org"] {
            let report = bot::privacy::export(engine.store(), journal, contact).await.unwrap();
            assert_eq!(report.conversations.len(), 1, "{contact}");
            assert_eq!(report.conversations[0].conversation.id, id);
            assert!(report.conversations[0].messages.iter().any(|message| message.reply.words().contains("E1")));
            assert_eq!(report.workflow_runs.len(), 1, "{contact}");
            assert_eq!(report.workflow_runs[0].run.inputs["phone"], "07700900123");
        }
        assert!(matches!(
            bot::privacy::export(engine.store(), journal, "not a contact").await,
            Err(bot::privacy::PrivacyError::NotAContact(_))
        ));

        let erased = bot::privacy::erase(engine.store(), journal, "07700900123").await.unwrap();
        assert_eq!((erased.conversations, erased.workflow_runs), (1, 1));
        let after = bot::privacy::export(engine.store(), journal, "jo.bloggs@example.org").await.unwrap();
        assert!(after.conversations.is_empty() && after.workflow_runs.is_empty());
        assert!(engine.store().get(&other).await.unwrap().is_some(), "other people's conversations stay");
    })
    .await;
}

#[tokio::test]
async fn conversations_past_their_retention_are_deleted_unless_a_person_still_has_to_act() {
    let council = Council::sample();
    let council = &council;
    on_both_backends(|url| async move {
        let engine = council.engine_on(&url, None).await;
        let answered = conversation(&engine).await;
        say(&engine, &answered, "how can i pay my council tax").await;
        let waiting = conversation(&engine).await;
        say(&engine, &waiting, "talk to a person").await;
        let journal = engine.runner().unwrap().journal();
        let retention = Duration::from_secs(90 * 86_400);

        let today =
            bot::privacy::purge_expired(engine.store(), journal, retention, storage::now_millis()).await.unwrap();
        assert_eq!(today.conversations, 0, "nothing is old yet");
        let later = storage::now_millis() + 91 * 86_400_000;
        let purged = bot::privacy::purge_expired(engine.store(), journal, retention, later).await.unwrap();
        assert_eq!(purged.conversations, 1);
        assert!(engine.store().get(&answered).await.unwrap().is_none());
        assert!(engine.store().get(&waiting).await.unwrap().is_some(), "an open escalation keeps its conversation");
    })
    .await;
}

#[tokio::test]
async fn card_numbers_are_never_stored() {
    let council = Council::sample();
    let directory = tempfile::tempdir().unwrap();
    let engine = council.engine(directory.path(), None).await;
    let id = conversation(&engine).await;
    say(&engine, &id, "can I pay my council tax with card 4111 1111 1111 1111").await;
    let transcript = engine.transcript(&id, 0).await.unwrap();
    let said = transcript[0].reply.words();
    assert!(!said.contains("4111"), "{said}");
    assert!(said.contains("[card number removed]"), "{said}");
}

#[tokio::test]
async fn odd_messages_never_break_a_conversation() {
    let council = Council::sample();
    let directory = tempfile::tempdir().unwrap();
    let engine = council.engine(directory.path(), None).await;
    let id = conversation(&engine).await;
    let long = "bins ".repeat(5_000);
    let odd = [
        "",
        "   ",
        "\u{0}\u{1}\u{7f}",
        "🗑️🗑️🗑️ 😡",
        "مرحبا، متى يتم جمع القمامة؟",
        "'; DROP TABLE conversations; --",
        "{\"text\": \"nested\"}",
        "[1] [999999999999999999999] [-1]",
        "31/02/2026 99/99/9999 next Someday",
        long.as_str(),
        "EB4 2QX EB4 2QX EB4 2QX 07700900123 a@b.co",
        "yes",
        "no",
        "change",
        "cancel",
        "skip",
    ];
    for text in odd {
        say(&engine, &id, text).await;
    }
    // The conversation still works afterwards.
    let replies = say(&engine, &id, "what day are bins collected in Oakley Green?").await;
    assert!(replies.iter().any(|reply| reply.words().contains("Thursday")), "{replies:?}");
    let transcript = engine.transcript(&id, 0).await.unwrap();
    assert!(transcript.iter().all(|message| message.reply.words().chars().count() <= 2_000), "long messages are cut");
}

#[tokio::test]
async fn a_status_the_database_should_not_hold_is_an_error_naming_it() {
    on_both_backends(|url| async move {
        let database = Database::connect(&url).await.unwrap();
        let store = ConversationStore::open(database.clone()).await.unwrap();
        let conversation = store.create("web", "", Audience::Resident).await.unwrap();
        storage::sqlx::query("UPDATE conversations SET status = 'paused' WHERE id = $1")
            .bind(&conversation.id)
            .execute(database.pool())
            .await
            .unwrap();
        let read = store.get_fresh(&conversation.id).await;
        let error = read.expect_err("an unknown status is not read as another").to_string();
        assert!(error.contains("status") && error.contains("paused"), "{error}");
    })
    .await;
}

#[tokio::test]
async fn a_staff_action_whose_audit_entry_cannot_be_written_is_not_applied() {
    let council = Council::sample();
    let council = &council;
    on_both_backends(|url| async move {
        let engine = council.engine_on(&url, None).await;
        let id = conversation(&engine).await;
        say(&engine, &id, "talk to a person").await;
        let escalation = engine.store().open_escalation(&id).await.unwrap().expect("an escalation");
        let transcript = engine.transcript(&id, 0).await.unwrap();
        storage::sqlx::query("DROP TABLE audit_log").execute(engine.store().database().pool()).await.unwrap();

        let staff = StaffMember { username: "sam".into(), name: "Sam".into() };
        assert!(engine.claim(&escalation.id, &staff).await.is_err(), "claimed without an audit entry");
        assert!(engine.resolve(&escalation.id, &staff, "called back").await.is_err(), "resolved without one");
        assert!(engine.texted(&escalation.id, &staff, 12).await.is_err(), "texted without one");

        let after = engine.store().escalation(&escalation.id).await.unwrap().expect("the escalation");
        assert_eq!((after.status, after.assignee, after.outcome), (EscalationStatus::Waiting, None, None));
        let events: Vec<String> = engine
            .store()
            .escalation_events(&escalation.id)
            .await
            .unwrap()
            .into_iter()
            .map(|event| event.kind)
            .collect();
        assert_eq!(events, vec!["raised"]);
        let conversation = engine.store().get_fresh(&id).await.unwrap().expect("the conversation");
        assert_eq!(conversation.status, ConversationStatus::Escalated);
        assert_eq!(engine.transcript(&id, 0).await.unwrap(), transcript, "nobody was told of a change not made");
    })
    .await;
}
