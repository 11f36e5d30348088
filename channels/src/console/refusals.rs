//! What a failed staff action on an escalation means to the member of staff who tried it: one
//! HTTP status, a short code and a plain message, the same in the console and in the API.
//! Internal details (database and workflow errors) are logged, never shown.

use axum::http::StatusCode;
use bot::conversation::StaffActionError;
use rpa::runner::RunnerError;

/// A staff action refused or failed, as shown to the person who tried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status.
    pub status: StatusCode,
    /// A short code for programs, such as `resident_left`.
    pub code: &'static str,
    /// What went wrong, in words for the member of staff.
    pub message: String,
}

impl Refusal {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal { status, code, message: message.into() }
    }
}

impl From<&StaffActionError> for Refusal {
    fn from(error: &StaffActionError) -> Refusal {
        let conflict = |message: String| Refusal::new(StatusCode::CONFLICT, "conflict", message);
        let unavailable = || {
            tracing::warn!(error = %error, "a staff action failed");
            Refusal::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the service is unavailable for a moment; try again shortly",
            )
        };
        match error {
            StaffActionError::NoSuchEscalation(_) => {
                Refusal::new(StatusCode::NOT_FOUND, "not_found", error.to_string())
            }
            StaffActionError::Invalid(message) => {
                Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message.clone())
            }
            StaffActionError::Run(RunnerError::Inputs(_)) => {
                Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", error.to_string())
            }
            StaffActionError::ResidentLeft => Refusal::new(StatusCode::CONFLICT, "resident_left", error.to_string()),
            StaffActionError::WrongState(message) => conflict(message.clone()),
            StaffActionError::NotNow(not_now) => conflict(not_now.to_string()),
            StaffActionError::Run(run @ RunnerError::WrongState { .. }) => conflict(run.to_string()),
            StaffActionError::Run(RunnerError::NoSuchRun(_)) => {
                conflict("the workflow run of this conversation can no longer be found".to_string())
            }
            StaffActionError::Run(RunnerError::Secrets(_) | RunnerError::Workflow(_)) => {
                tracing::warn!(error = %error, "a staff action on a workflow run failed");
                conflict("the workflow cannot run here as it is set up: ask an administrator".to_string())
            }
            StaffActionError::Store(_) | StaffActionError::Run(RunnerError::Storage(_)) => unavailable(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bot::conversation::NotNow;

    #[test]
    fn refusals_keep_their_statuses_and_codes() {
        let cases = [
            (StaffActionError::NoSuchEscalation("e_1".into()), StatusCode::NOT_FOUND, "not_found"),
            (StaffActionError::Invalid("the reply is empty".into()), StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            (StaffActionError::Run(RunnerError::Inputs(vec!["x".into()])), StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            (StaffActionError::ResidentLeft, StatusCode::CONFLICT, "resident_left"),
            (StaffActionError::NotNow(NotNow::Resolved), StatusCode::CONFLICT, "conflict"),
            (StaffActionError::WrongState("take it first".into()), StatusCode::CONFLICT, "conflict"),
            (StaffActionError::Run(RunnerError::NoSuchRun("r".into())), StatusCode::CONFLICT, "conflict"),
        ];
        for (error, status, code) in cases {
            let refusal = Refusal::from(&error);
            assert_eq!((refusal.status, refusal.code), (status, code), "{error}");
        }
    }

    #[test]
    fn a_broken_workflow_is_refused_without_its_details() {
        let error = StaffActionError::Run(RunnerError::Workflow("/srv/councilbot/workflows/x.yaml: bad".into()));
        let refusal = Refusal::from(&error);
        assert_eq!(refusal.status, StatusCode::CONFLICT);
        assert!(!refusal.message.contains("/srv"), "{}", refusal.message);
    }
}
