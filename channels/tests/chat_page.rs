//! The chat page without JavaScript: plain form posts, each needing the page's CSRF token, and
//! a message whose turn failed kept to send again.

use axum::http::StatusCode;

use crate::support::{App, hidden};

#[tokio::test]
async fn the_chat_page_works_by_plain_form_posts() {
    let app = App::sample_council().await;
    let browser = app.browser();
    let page = browser.get("/chat").await.body;
    let csrf = hidden(&page, "csrf");
    let csrf = csrf.as_str();
    let sent =
        browser.post_form("/chat", &[("text", "what day are bins collected in Oakley Green?"), ("csrf", csrf)]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let page = browser.get("/chat").await.body;
    assert!(page.contains("what day are bins collected in Oakley Green?"));
    assert!(page.contains("Thursday"));
    let unescaped = page.replace("&#x2f;", "/");
    assert!(
        unescaped.contains("href=\"/waste/bin-collection-days\">[1] Bin collection days</a>"),
        "the source is a link: {unescaped}"
    );
    assert!(page.contains("automated assistant"));
    browser.post_form("/chat", &[("text", "my bin wasn't emptied"), ("csrf", csrf)]).await;
    browser.post_form("/chat", &[("text", "EB4 2QX"), ("csrf", csrf)]).await;
    browser.post_form("/chat", &[("text", "12"), ("csrf", csrf)]).await;
    let page = browser.get("/chat").await.body;
    assert!(page.contains("name=\"choice\" value=\"Recycling (blue bin)\""), "choices are buttons");
    let empty = browser.post_form("/chat", &[("text", ""), ("csrf", csrf)]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("Type your message"));
    let file = browser.get("/chat/transcript.txt").await;
    assert!(file.header("content-disposition").contains("attachment"));
    assert!(file.body.contains("You: what day are bins collected in Oakley Green?"));
    let ended = browser.post_form("/chat/end", &[("csrf", csrf)]).await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    let page = browser.get("/chat?ended=1").await.body;
    assert!(page.contains("Conversation ended"));
    assert!(!page.contains("Oakley Green?"), "the conversation is gone from this browser");
}

#[tokio::test]
async fn chat_page_forms_need_their_csrf_token() {
    let app = App::start().await;
    let client = app.browser();
    // A form posted from another site carries no token: nothing is taken in.
    let refused = client.post_form("/chat", &[("text", "report a missed bin")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT COUNT(*) FROM conversations").await, 0);
    let page = client.get("/chat").await.body;
    let token = hidden(&page, "csrf");
    let wrong = client.post_form("/chat", &[("text", "hello"), ("csrf", "0".repeat(64).as_str())]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN, "a wrong token is refused");
    let sent = client.post_form("/chat", &[("text", "hello"), ("csrf", &token)]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("SELECT COUNT(*) FROM conversations").await, 1);
    let end = client.post_form("/chat/end", &[]).await;
    assert_eq!(end.status, StatusCode::FORBIDDEN, "ending the conversation needs the token too");
    assert_eq!(app.count("SELECT COUNT(*) FROM conversations WHERE status = 'ended'").await, 0);
}

#[tokio::test]
async fn a_chat_page_message_whose_turn_failed_is_not_shown_as_sent() {
    let app = App::start().await;
    let client = app.browser();
    let token = hidden(&client.get("/chat").await.body, "csrf");
    let first = client.post_form("/chat", &[("text", "hello"), ("csrf", &token)]).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "the first message is taken in");

    // The database loses the conversations' messages, so the next turn cannot be written.
    app.execute("DROP TABLE conversation_messages").await;

    let failed = client.post_form("/chat", &[("text", "when is my bin collected"), ("csrf", &token)]).await;
    let page = failed.body;
    assert_eq!(failed.status, StatusCode::SERVICE_UNAVAILABLE, "not a redirect to the page as if it were sent: {page}");
    assert!(page.contains("Sorry, your message could not be sent. Please try again shortly."), "{page}");
    assert!(page.contains(">when is my bin collected</textarea>"), "the message is kept to send again: {page}");
}
