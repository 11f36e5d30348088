//! What residents made of the answers, kept on SQLite and on PostgreSQL: votes (the last one
//! counts, only on a conversation's own answers), "that's not what I asked", a person asked for
//! and a question asked again straight after an answer, and the figures that count them.

use bot::conversation::feedback::Vote;
use bot::conversation::{Engine, Reply, Role};
use bot::figures::{Period, figures};
use storage::TestPostgres;

use crate::support::{Council, conversation, say};

/// The number of the latest answer in a conversation.
async fn last_answer(engine: &Engine, id: &str) -> i64 {
    let transcript = engine.transcript(id, 0).await.unwrap();
    transcript
        .iter()
        .rev()
        .find(|message| message.role == Role::Bot && message.reply.is_answer())
        .unwrap_or_else(|| panic!("no answer in {transcript:#?}"))
        .seq
}

async fn answered(engine: &Engine, id: &str, question: &str) -> i64 {
    let replies = say(engine, id, question).await;
    assert!(replies.iter().any(Reply::is_answer), "{question}: {replies:#?}");
    last_answer(engine, id).await
}

async fn feedback_is_kept_and_counted(engine: Engine) {
    let store = engine.store();

    // Said wrong: an apology and the offer of a person, not an answer to "that's not what I asked".
    let wrong = conversation(&engine).await;
    answered(&engine, &wrong, "what day are bins collected in Oakley Green?").await;
    let sorry = say(&engine, &wrong, "that's not what I asked").await;
    assert!(
        matches!(&sorry[..], [Reply::Choices { text, .. }] if text.contains("sorry") && text.contains("talk to a person")),
        "{sorry:#?}"
    );

    // A person asked for straight after an answer.
    let person = conversation(&engine).await;
    answered(&engine, &person, "how can i pay my council tax").await;
    say(&engine, &person, "talk to a person").await;

    // The same question in other words.
    let again = conversation(&engine).await;
    answered(&engine, &again, "how do I register a death").await;
    say(&engine, &again, "how can I register a death?").await;

    // A follow-up on the same subject is a new question, not a sign the answer missed.
    let follow_up = conversation(&engine).await;
    answered(&engine, &follow_up, "what time does northfield library open").await;
    say(&engine, &follow_up, "thanks").await;

    // Votes: the last counts, and only on the conversation's own answers.
    let voted = conversation(&engine).await;
    let answer = answered(&engine, &voted, "how do I register my baby's birth").await;
    assert!(store.vote(&voted, answer, Vote::Helpful).await.unwrap());
    assert!(store.vote(&voted, answer, Vote::Unhelpful).await.unwrap());
    assert!(!store.vote(&voted, answer - 1, Vote::Unhelpful).await.unwrap(), "the person's own message");
    assert!(!store.vote(&voted, answer + 50, Vote::Unhelpful).await.unwrap(), "no such message");
    assert!(!store.vote("c_another", answer, Vote::Unhelpful).await.unwrap(), "another conversation");
    assert_eq!(store.votes(&voted).await.unwrap().into_iter().collect::<Vec<_>>(), vec![(answer, Vote::Unhelpful)]);

    let liked = conversation(&engine).await;
    let answer = answered(&engine, &liked, "when is the tip open").await;
    assert!(store.vote(&liked, answer, Vote::Helpful).await.unwrap());

    let today = storage::now_millis().div_euclid(86_400_000);
    let services = engine.services();
    let figures = figures(store, None, &services, Period { from: today - 1, to: today + 1 }).await.unwrap();
    let signals = &figures.answer_signals;
    assert_eq!(
        (signals.thumbs_up, signals.thumbs_down, signals.said_wrong, signals.asked_person, signals.asked_again),
        (1, 1, 1, 1, 1),
        "{figures:#?}"
    );
    assert_eq!(figures.conversations, 6);
    assert_eq!(figures.contained, 2, "only the follow-up and the liked answer: {figures:#?}");
    let order: Vec<&str> = figures.doubted_answers.iter().map(|doubted| doubted.question.as_str()).collect();
    assert_eq!(
        order,
        vec![
            "how do I register my baby's birth",
            "what day are bins collected in Oakley Green?",
            "how can i pay my council tax",
            "how do I register a death",
        ],
        "worst first"
    );
    let bins = &figures.doubted_answers[1];
    assert_eq!(bins.page.as_ref().unwrap().url, "https://www.eastbrook.gov.uk/waste/bin-collection-days");
    assert!(!bins.answer.contains("[1]"), "{}", bins.answer);
}

#[tokio::test]
async fn answer_feedback_is_kept_and_counted_on_sqlite() {
    let directory = tempfile::tempdir().unwrap();
    let council = Council::sample();
    feedback_is_kept_and_counted(council.engine(directory.path(), None).await).await;
}

#[tokio::test]
async fn answer_feedback_is_kept_and_counted_on_postgres() {
    let postgres = TestPostgres::create().await.expect("PostgreSQL at 127.0.0.1:5432 (set TEST_POSTGRES_URL)");
    let council = Council::sample();
    feedback_is_kept_and_counted(council.engine_on(&postgres.url, None).await).await;
}
