//! The accounts on SQLite and on PostgreSQL: sign-in waits instead of lock-outs, failures
//! counted exactly, roles read per request, and accounts from OpenID Connect kept apart.

use std::net::IpAddr;

use storage::TestPostgres;

use super::*;
use crate::console::throttle::{ACCOUNT, Subject};

const PASSWORD: &str = "correct horse battery staple";

/// The accounts in a fresh SQLite file, and in a fresh PostgreSQL database (kept alive with
/// them).
async fn backends() -> Vec<(Accounts, Option<TestPostgres>, tempfile::TempDir)> {
    let directory = tempfile::tempdir().unwrap();
    let sqlite =
        Accounts::open(Database::open_file(&directory.path().join("console.db")).await.unwrap()).await.unwrap();
    let postgres = TestPostgres::create().await.expect("PostgreSQL at 127.0.0.1:5432 (set TEST_POSTGRES_URL)");
    let on_postgres = Accounts::open(Database::connect(&postgres.url).await.unwrap()).await.unwrap();
    vec![(sqlite, None, directory), (on_postgres, Some(postgres), tempfile::tempdir().unwrap())]
}

fn address(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_failure_counter_counts_every_parallel_failure() {
    for (accounts, _postgres, _directory) in backends().await {
        let now = now_millis();
        let failures: Vec<_> = (0..30)
            .map(|_| {
                let throttle = accounts.throttle.clone();
                tokio::spawn(async move { throttle.failed(Subject::Account("sam"), now).await })
            })
            .collect();
        let mut counts = Vec::new();
        for failure in failures {
            counts.push(failure.await.unwrap().unwrap());
        }
        counts.sort_unstable();
        assert_eq!(counts, (1..=30).collect::<Vec<i64>>(), "{:?}", accounts.database().backend());
        let until = accounts.throttle.waiting_until(Subject::Account("sam"), now).await.unwrap();
        assert_eq!(until, Some(now + ACCOUNT.wait_after(30)), "the longest wait is the one kept");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outsider_cannot_lock_a_staff_account_or_tell_which_names_exist() {
    for (accounts, _postgres, _directory) in backends().await {
        accounts.set_local("sam", "Sam Taylor", PASSWORD, Role::Admin).await.unwrap();
        let (outsider, owner) = (address("203.0.113.9"), address("198.51.100.4"));
        let start = now_millis();

        // Three failures on a name that exists and on one that does not: the same answers.
        let mut answers = Vec::new();
        for (name, from) in [("sam", outsider), ("nobody", address("203.0.113.10"))] {
            for _ in 0..ACCOUNT.free_failures {
                let refused = accounts.sign_in_at(name, "a wrong guess", from, start).await;
                assert!(matches!(refused, Err(AccountError::WrongCredentials)), "{name}: {refused:?}");
            }
            answers.push(accounts.sign_in_at(name, PASSWORD, from, start).await.map(|_| ()).unwrap_err().to_string());
        }
        assert_eq!(answers[0], answers[1]);
        assert!(answers[0].contains("try again in 2 seconds"), "{answers:?}");
        let other_name = accounts.sign_in_at("alex", PASSWORD, outsider, start).await;
        assert!(matches!(other_name, Err(AccountError::Throttled(2))), "the address waits: {other_name:?}");

        // The owner, elsewhere, waits only for the account's own wait; then the password works.
        let early = accounts.sign_in_at("sam", PASSWORD, owner, start).await;
        assert!(matches!(early, Err(AccountError::Throttled(1))), "{early:?}");
        let signed = accounts.sign_in_at("sam", PASSWORD, owner, start + 1000).await.unwrap();
        assert_eq!((signed.username.as_str(), signed.role), ("sam", Role::Admin));

        // An outsider at one address guessing as fast as it is let through, for two hours: the
        // owner, coming now and then and trying again when told to, always gets in within the
        // account's longest wait.
        let mut now = start + 2000;
        let mut next_owner_visit = now + 10 * 60 * 1000;
        let mut owner_waiting_since = None;
        while now < start + 2 * 3600 * 1000 || owner_waiting_since.is_some() {
            assert!(now < start + 3 * 3600 * 1000, "the owner never got in");
            let _ = accounts.sign_in_at("sam", "still guessing", outsider, now).await;
            if now >= next_owner_visit {
                match accounts.sign_in_at("sam", PASSWORD, owner, now).await {
                    Ok(_) => {
                        if let Some(since) = owner_waiting_since.take() {
                            assert!(now - since <= ACCOUNT.longest_wait_millis, "kept out from {since} to {now}");
                        }
                        next_owner_visit = now + 10 * 60 * 1000;
                    }
                    Err(AccountError::Throttled(seconds)) => {
                        owner_waiting_since.get_or_insert(now);
                        next_owner_visit = now + seconds * 1000;
                    }
                    Err(other) => panic!("{other}"),
                }
            }
            now += 1000;
        }
        assert!(owner_waiting_since.is_none(), "the owner got in at the end");
    }
}

#[tokio::test]
async fn a_control_character_in_a_username_is_a_wrong_sign_in_not_a_database_error() {
    for (accounts, _postgres, _directory) in backends().await {
        accounts.set_local("sam", "Sam Taylor", PASSWORD, Role::Supervisor).await.unwrap();
        for name in ["sam\0", "s\u{1}am", "sam\u{7f}", &"s".repeat(101), "sam taylor"] {
            let refused = accounts.sign_in(name, PASSWORD, address("192.0.2.1")).await;
            assert!(matches!(refused, Err(AccountError::WrongCredentials)), "{name:?}: {refused:?}");
        }
        assert_eq!(printable_username("sam\0\u{1}"), "sam\u{fffd}\u{fffd}");
        assert_eq!(printable_username(&"é".repeat(500)).chars().count(), LONGEST_USERNAME);
    }
}

#[tokio::test]
async fn sessions_end_when_the_role_or_password_changes_and_roles_are_read_per_request() {
    for (accounts, _postgres, _directory) in backends().await {
        accounts.set_local("sam", "Sam Taylor", PASSWORD, Role::Admin).await.unwrap();
        let sam = accounts.sign_in("sam", PASSWORD, address("192.0.2.1")).await.unwrap();
        let (token, _) = accounts.start_session(&sam).await.unwrap();

        // The role is the account's at each request.
        sqlx::query("UPDATE console_accounts SET role = 'supervisor' WHERE username = 'sam'")
            .execute(accounts.database().pool())
            .await
            .unwrap();
        assert_eq!(accounts.session(&token).await.unwrap().unwrap().role, Role::Supervisor);

        // A new password or role ends every session.
        accounts.set_local("sam", "Sam Taylor", "another long password", Role::Supervisor).await.unwrap();
        assert!(accounts.session(&token).await.unwrap().is_none());

        // Signing out everywhere ends them all.
        let sam = accounts.sign_in("sam", "another long password", address("192.0.2.1")).await.unwrap();
        let (first, _) = accounts.start_session(&sam).await.unwrap();
        let (second, _) = accounts.start_session(&sam).await.unwrap();
        assert_eq!(accounts.end_sessions("sam").await.unwrap(), 2);
        assert!(
            accounts.session(&first).await.unwrap().is_none() && accounts.session(&second).await.unwrap().is_none()
        );
    }
}

#[tokio::test]
async fn openid_connect_accounts_never_merge_with_local_ones_and_sign_ins_are_bound_to_the_browser() {
    for (accounts, _postgres, _directory) in backends().await {
        accounts.set_local("jo", "Jo Admin", PASSWORD, Role::Admin).await.unwrap();
        let admin = accounts.sign_in("jo", PASSWORD, address("192.0.2.1")).await.unwrap();
        let (admin_session, _) = accounts.start_session(&admin).await.unwrap();
        let person = |subject, role| ExternalPerson {
            issuer: "https://login.example",
            subject,
            preferred_username: "jo",
            display_name: "Jo Bloggs",
            role,
        };
        let outsider = accounts.set_external(&person("entra-1", Role::Supervisor)).await.unwrap();
        assert_eq!((outsider.username.as_str(), outsider.role), ("jo-2", Role::Supervisor));
        let again = accounts.set_external(&person("entra-1", Role::None)).await.unwrap();
        assert_eq!(again.username, "jo-2", "known by issuer and subject");
        let another = accounts.set_external(&person("entra-2", Role::Supervisor)).await.unwrap();
        assert_eq!(another.username, "jo-3");
        let admin_now = accounts.session(&admin_session).await.unwrap().expect("the admin's session goes on");
        assert_eq!((admin_now.username.as_str(), admin_now.role), ("jo", Role::Admin));
        let refused = accounts.set_local("jo-2", "Someone", PASSWORD, Role::Admin).await;
        assert!(matches!(refused, Err(AccountError::Invalid(_))), "{refused:?}");
        assert!(matches!(
            accounts.sign_in("jo-2", PASSWORD, address("192.0.2.2")).await,
            Err(AccountError::WrongCredentials)
        ));

        // A sign-in in progress is taken only by the browser that started it, once.
        accounts.begin_sign_in("the-state", "the-nonce", "the-verifier", "browser-secret").await.unwrap();
        assert!(accounts.finish_sign_in("the-state", "another-browser").await.unwrap().is_none());
        let taken = accounts.finish_sign_in("the-state", "browser-secret").await.unwrap();
        assert_eq!(taken, Some(("the-nonce".to_string(), "the-verifier".to_string())));
        assert!(accounts.finish_sign_in("the-state", "browser-secret").await.unwrap().is_none());
    }
}
