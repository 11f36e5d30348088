//! Typed steps: a step as checked, with exactly one kind and only that kind's fields.

use std::collections::BTreeMap;

use super::duration::DurationText;
use super::located::{Located, Template};
use super::step::{
    AssertStep, CallStep, CheckStep, DialogStep, DragStep, EscalateStep, ExtractStep, FailStep, FillStep, FrameStep,
    HttpStep, HumanTaskStep, Locator, NotifyStep, PressStep, RawStep, Retry, ScreenshotStep, ScriptStep, ScrollStep,
    SelectStep, SucceedStep, UploadStep, WaitForStep,
};

/// A step of a loaded workflow: what every step has, and what its kind does.
#[derive(Debug, Clone)]
pub struct Step {
    /// The keys every step may have.
    pub common: StepCommon,
    /// What the step does.
    pub kind: StepKind,
}

/// The keys every step may have, whatever its kind.
#[derive(Debug, Clone, Default)]
pub struct StepCommon {
    /// A name for the step, unique in the workflow.
    pub id: Option<Located<String>>,
    /// What the step does, in words, for staff.
    pub name: Option<String>,
    /// What the resident is shown while the step runs, in each language given.
    pub progress: Option<super::WordingTemplate>,
    /// Run the step only when this expression is true.
    pub when: Option<Template>,
    /// How long the step may take before it fails.
    pub timeout: Option<DurationText>,
    /// How to try again when the step fails.
    pub retry: Option<Retry>,
    /// Steps to run when the step fails after its retries.
    pub on_error: Option<Vec<Located<Step>>>,
    /// Whether the step creates or changes a record in a system.
    pub submits: bool,
    /// How to tell whether an earlier attempt of a submitting step already took effect.
    pub idempotency: Option<SubmitCheck>,
}

/// Steps that find out whether an earlier submission took effect, and the test of it.
#[derive(Debug, Clone)]
pub struct SubmitCheck<S = Step> {
    /// Steps that look for the earlier submission.
    pub check: Vec<Located<S>>,
    /// True when the submission already exists.
    pub done_when: Template,
}

/// What a step does; `S` is the form of the steps nested in it.
#[derive(Debug, Clone)]
pub enum StepKind<S = Step> {
    /// Go to an address.
    Open(Template),
    /// Click an element.
    Click(Locator),
    /// Move the mouse over an element, as to open a menu that shows on hover.
    Hover(Locator),
    /// Scroll an element into view, or the page or a box by some pixels.
    Scroll(Box<ScrollStep>),
    /// Drag an element onto another.
    Drag(Box<DragStep>),
    /// Type a value into a field.
    Fill(FillStep),
    /// Choose an option of a dropdown.
    Select(Select),
    /// Tick or untick a checkbox or radio button.
    Check(CheckStep),
    /// Attach a file to a file field.
    Upload(UploadStep),
    /// Press a key.
    Press(PressStep),
    /// Wait until something is true of the page.
    WaitFor(Box<WaitForStep>),
    /// Read from the page into a variable.
    Extract(ExtractStep),
    /// Fail unless something holds.
    Assert(Box<AssertStep>),
    /// Enter or leave a frame.
    Frame(FrameStep),
    /// Deal with an alert, confirm or prompt.
    Dialog(DialogStep),
    /// Keep a picture of the page.
    Screenshot(ScreenshotStep),
    /// Run JavaScript in the page.
    Script(ScriptStep),
    /// Call an HTTP endpoint.
    Http(HttpStep),
    /// Set variables from expressions.
    Set(BTreeMap<String, Template>),
    /// Run some steps or others depending on a condition.
    If(Branches<S>),
    /// Run steps once for each item of a list.
    ForEach(EachItem<S>),
    /// Run steps as one unit.
    Block(Vec<Located<S>>),
    /// Run another workflow.
    Call(CallStep),
    /// Pause for a length of time.
    Wait(DurationText),
    /// Ask a member of staff.
    HumanTask(HumanTaskStep),
    /// Send a message.
    Notify(NotifyStep),
    /// End the run successfully.
    Succeed(SucceedStep),
    /// End the run as failed.
    Fail(FailStep),
    /// Stop the run for a person to deal with.
    Escalate(EscalateStep),
}

/// Choose an option of a dropdown, by exactly one of its text and its value.
#[derive(Debug, Clone)]
pub struct Select {
    /// The dropdown.
    pub locator: Locator,
    /// Which option.
    pub choice: SelectChoice,
}

/// Which option of a dropdown to choose.
#[derive(Debug, Clone)]
pub enum SelectChoice {
    /// The option with this visible text.
    Text(Template),
    /// The option with this `value` attribute.
    Value(Template),
    /// The one option whose visible text matches this regular expression.
    Matching(Template),
}

/// Steps for when a condition holds and for when it does not.
#[derive(Debug, Clone)]
pub struct Branches<S = Step> {
    /// The expression.
    pub condition: Template,
    /// Steps to run when it is true.
    pub then: Vec<Located<S>>,
    /// Steps to run when it is false.
    pub otherwise: Vec<Located<S>>,
}

/// Steps to run once for each item of a list.
#[derive(Debug, Clone)]
pub struct EachItem<S = Step> {
    /// An expression giving the list.
    pub items: Template,
    /// The variable that holds the current item (default: `item`).
    pub item: Option<Located<String>>,
    /// The steps to run for each item.
    pub steps: Vec<Located<S>>,
}

/// Why a raw step has no single kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misshapen {
    /// It has no kind key.
    NoKind,
    /// It has several kind keys, named.
    SeveralKinds(Vec<&'static str>),
    /// A `select` that does not give exactly one of `option`, `value` and `option_matches`.
    SelectChoice,
}

/// The kinds of step, named as their key.
pub const STEP_KINDS: &[&str] = &[
    "open",
    "click",
    "hover",
    "scroll",
    "drag",
    "fill",
    "select",
    "check",
    "upload",
    "press",
    "wait_for",
    "extract",
    "assert",
    "frame",
    "dialog",
    "screenshot",
    "script",
    "http",
    "set",
    "if",
    "for_each",
    "block",
    "call",
    "wait",
    "human_task",
    "notify",
    "succeed",
    "fail",
    "escalate",
];

impl<S> StepKind<S> {
    /// The kind's name, as its key in a workflow file.
    pub fn name(&self) -> &'static str {
        match self {
            StepKind::Open(_) => "open",
            StepKind::Click(_) => "click",
            StepKind::Hover(_) => "hover",
            StepKind::Scroll(_) => "scroll",
            StepKind::Drag(_) => "drag",
            StepKind::Fill(_) => "fill",
            StepKind::Select(_) => "select",
            StepKind::Check(_) => "check",
            StepKind::Upload(_) => "upload",
            StepKind::Press(_) => "press",
            StepKind::WaitFor(_) => "wait_for",
            StepKind::Extract(_) => "extract",
            StepKind::Assert(_) => "assert",
            StepKind::Frame(_) => "frame",
            StepKind::Dialog(_) => "dialog",
            StepKind::Screenshot(_) => "screenshot",
            StepKind::Script(_) => "script",
            StepKind::Http(_) => "http",
            StepKind::Set(_) => "set",
            StepKind::If(_) => "if",
            StepKind::ForEach(_) => "for_each",
            StepKind::Block(_) => "block",
            StepKind::Call(_) => "call",
            StepKind::Wait(_) => "wait",
            StepKind::HumanTask(_) => "human_task",
            StepKind::Notify(_) => "notify",
            StepKind::Succeed(_) => "succeed",
            StepKind::Fail(_) => "fail",
            StepKind::Escalate(_) => "escalate",
        }
    }

    /// Whether the step drives the browser.
    pub fn uses_browser(&self) -> bool {
        match self {
            StepKind::Open(_)
            | StepKind::Click(_)
            | StepKind::Hover(_)
            | StepKind::Scroll(_)
            | StepKind::Drag(_)
            | StepKind::Fill(_)
            | StepKind::Select(_)
            | StepKind::Check(_)
            | StepKind::Upload(_)
            | StepKind::Press(_)
            | StepKind::WaitFor(_)
            | StepKind::Extract(_)
            | StepKind::Frame(_)
            | StepKind::Dialog(_)
            | StepKind::Screenshot(_)
            | StepKind::Script(_) => true,
            // An assertion about data (`that`) needs no page; the others look at it.
            StepKind::Assert(assert) => assert.that.is_none(),
            StepKind::Http(_)
            | StepKind::Set(_)
            | StepKind::If(_)
            | StepKind::ForEach(_)
            | StepKind::Block(_)
            | StepKind::Call(_)
            | StepKind::Wait(_)
            | StepKind::HumanTask(_)
            | StepKind::Notify(_)
            | StepKind::Succeed(_)
            | StepKind::Fail(_)
            | StepKind::Escalate(_) => false,
        }
    }

    /// Whether running the step again could change something outside the run (or ask a person
    /// twice), whether or not it `submits`.
    pub fn has_lasting_effect(&self) -> bool {
        match self {
            StepKind::Wait(_) | StepKind::HumanTask(_) | StepKind::Notify(_) => true,
            StepKind::Http(http) => !http.method.is_safe(),
            StepKind::Open(_)
            | StepKind::Click(_)
            | StepKind::Hover(_)
            | StepKind::Scroll(_)
            | StepKind::Drag(_)
            | StepKind::Fill(_)
            | StepKind::Select(_)
            | StepKind::Check(_)
            | StepKind::Upload(_)
            | StepKind::Press(_)
            | StepKind::WaitFor(_)
            | StepKind::Extract(_)
            | StepKind::Assert(_)
            | StepKind::Frame(_)
            | StepKind::Dialog(_)
            | StepKind::Screenshot(_)
            | StepKind::Script(_)
            | StepKind::Set(_)
            | StepKind::If(_)
            | StepKind::ForEach(_)
            | StepKind::Block(_)
            | StepKind::Call(_)
            | StepKind::Succeed(_)
            | StepKind::Fail(_)
            | StepKind::Escalate(_) => false,
        }
    }

    /// Whether the step only works on the run's own values, taking no time to speak of.
    pub fn is_instant(&self) -> bool {
        matches!(self, StepKind::Set(_) | StepKind::Succeed(_) | StepKind::Fail(_))
    }

    /// Whether the step runs other steps (its own, or another workflow's).
    pub fn holds_steps(&self) -> bool {
        match self {
            StepKind::If(_) | StepKind::ForEach(_) | StepKind::Block(_) | StepKind::Call(_) => true,
            StepKind::Open(_)
            | StepKind::Click(_)
            | StepKind::Hover(_)
            | StepKind::Scroll(_)
            | StepKind::Drag(_)
            | StepKind::Fill(_)
            | StepKind::Select(_)
            | StepKind::Check(_)
            | StepKind::Upload(_)
            | StepKind::Press(_)
            | StepKind::WaitFor(_)
            | StepKind::Extract(_)
            | StepKind::Assert(_)
            | StepKind::Frame(_)
            | StepKind::Dialog(_)
            | StepKind::Screenshot(_)
            | StepKind::Script(_)
            | StepKind::Http(_)
            | StepKind::Set(_)
            | StepKind::Wait(_)
            | StepKind::HumanTask(_)
            | StepKind::Notify(_)
            | StepKind::Succeed(_)
            | StepKind::Fail(_)
            | StepKind::Escalate(_) => false,
        }
    }

    /// Whether the step has no time limit unless given one: it holds others, waits or asks a person.
    pub fn is_unlimited(&self) -> bool {
        match self {
            StepKind::If(_)
            | StepKind::ForEach(_)
            | StepKind::Block(_)
            | StepKind::Call(_)
            | StepKind::Wait(_)
            | StepKind::HumanTask(_) => true,
            StepKind::Open(_)
            | StepKind::Click(_)
            | StepKind::Hover(_)
            | StepKind::Scroll(_)
            | StepKind::Drag(_)
            | StepKind::Fill(_)
            | StepKind::Select(_)
            | StepKind::Check(_)
            | StepKind::Upload(_)
            | StepKind::Press(_)
            | StepKind::WaitFor(_)
            | StepKind::Extract(_)
            | StepKind::Assert(_)
            | StepKind::Frame(_)
            | StepKind::Dialog(_)
            | StepKind::Screenshot(_)
            | StepKind::Script(_)
            | StepKind::Http(_)
            | StepKind::Set(_)
            | StepKind::Notify(_)
            | StepKind::Succeed(_)
            | StepKind::Fail(_)
            | StepKind::Escalate(_) => false,
        }
    }

    /// The steps nested in this kind, with what holds them.
    pub fn children(&self) -> Vec<(&'static str, &[Located<S>])> {
        match self {
            StepKind::If(branch) => vec![("then", &branch.then), ("else", &branch.otherwise)],
            StepKind::ForEach(each) => vec![("steps", &each.steps)],
            StepKind::Block(block) => vec![("block", block)],
            StepKind::Open(_)
            | StepKind::Click(_)
            | StepKind::Hover(_)
            | StepKind::Scroll(_)
            | StepKind::Drag(_)
            | StepKind::Fill(_)
            | StepKind::Select(_)
            | StepKind::Check(_)
            | StepKind::Upload(_)
            | StepKind::Press(_)
            | StepKind::WaitFor(_)
            | StepKind::Extract(_)
            | StepKind::Assert(_)
            | StepKind::Frame(_)
            | StepKind::Dialog(_)
            | StepKind::Screenshot(_)
            | StepKind::Script(_)
            | StepKind::Http(_)
            | StepKind::Set(_)
            | StepKind::Call(_)
            | StepKind::Wait(_)
            | StepKind::HumanTask(_)
            | StepKind::Notify(_)
            | StepKind::Succeed(_)
            | StepKind::Fail(_)
            | StepKind::Escalate(_) => Vec::new(),
        }
    }

    /// The same kind with its nested steps converted by `convert`, or `None` if one does not convert.
    fn try_map<T>(self, convert: &impl Fn(&Located<S>) -> Option<Located<T>>) -> Option<StepKind<T>> {
        let steps = |steps: Vec<Located<S>>| steps.iter().map(convert).collect::<Option<Vec<_>>>();
        Some(match self {
            StepKind::Open(value) => StepKind::Open(value),
            StepKind::Click(value) => StepKind::Click(value),
            StepKind::Hover(value) => StepKind::Hover(value),
            StepKind::Scroll(value) => StepKind::Scroll(value),
            StepKind::Drag(value) => StepKind::Drag(value),
            StepKind::Fill(value) => StepKind::Fill(value),
            StepKind::Select(value) => StepKind::Select(value),
            StepKind::Check(value) => StepKind::Check(value),
            StepKind::Upload(value) => StepKind::Upload(value),
            StepKind::Press(value) => StepKind::Press(value),
            StepKind::WaitFor(value) => StepKind::WaitFor(value),
            StepKind::Extract(value) => StepKind::Extract(value),
            StepKind::Assert(value) => StepKind::Assert(value),
            StepKind::Frame(value) => StepKind::Frame(value),
            StepKind::Dialog(value) => StepKind::Dialog(value),
            StepKind::Screenshot(value) => StepKind::Screenshot(value),
            StepKind::Script(value) => StepKind::Script(value),
            StepKind::Http(value) => StepKind::Http(value),
            StepKind::Set(value) => StepKind::Set(value),
            StepKind::If(branch) => StepKind::If(Branches {
                condition: branch.condition,
                then: steps(branch.then)?,
                otherwise: steps(branch.otherwise)?,
            }),
            StepKind::ForEach(each) => {
                StepKind::ForEach(EachItem { items: each.items, item: each.item, steps: steps(each.steps)? })
            }
            StepKind::Block(block) => StepKind::Block(steps(block)?),
            StepKind::Call(value) => StepKind::Call(value),
            StepKind::Wait(value) => StepKind::Wait(value),
            StepKind::HumanTask(value) => StepKind::HumanTask(value),
            StepKind::Notify(value) => StepKind::Notify(value),
            StepKind::Succeed(value) => StepKind::Succeed(value),
            StepKind::Fail(value) => StepKind::Fail(value),
            StepKind::Escalate(value) => StepKind::Escalate(value),
        })
    }
}

impl SelectStep {
    /// The typed form: exactly one of `option`, `value` and `option_matches`.
    fn typed(&self) -> Result<Select, Misshapen> {
        let choice = match (&self.option, &self.value, &self.option_matches) {
            (Some(text), None, None) => SelectChoice::Text(text.clone()),
            (None, Some(value), None) => SelectChoice::Value(value.clone()),
            (None, None, Some(pattern)) => SelectChoice::Matching(pattern.clone()),
            _ => return Err(Misshapen::SelectChoice),
        };
        Ok(Select { locator: self.locator(), choice })
    }
}

impl RawStep {
    /// The kind keys present in this step, each as its kind (nested steps left raw), in the
    /// order of [`STEP_KINDS`]; a `select` without exactly one choice is a `Misshapen`.
    pub(super) fn kinds_present(&self) -> Vec<Result<StepKind<RawStep>, Misshapen>> {
        let present: [Option<Result<StepKind<RawStep>, Misshapen>>; 29] = [
            self.open.clone().map(|value| Ok(StepKind::Open(value))),
            self.click.clone().map(|value| Ok(StepKind::Click(value))),
            self.hover.clone().map(|value| Ok(StepKind::Hover(value))),
            self.scroll.clone().map(|value| Ok(StepKind::Scroll(value))),
            self.drag.clone().map(|value| Ok(StepKind::Drag(value))),
            self.fill.clone().map(|value| Ok(StepKind::Fill(*value))),
            self.select.as_ref().map(|value| value.typed().map(StepKind::Select)),
            self.check.clone().map(|value| Ok(StepKind::Check(value))),
            self.upload.clone().map(|value| Ok(StepKind::Upload(value))),
            self.press.clone().map(|value| Ok(StepKind::Press(value))),
            self.wait_for.clone().map(|value| Ok(StepKind::WaitFor(value))),
            self.extract.clone().map(|value| Ok(StepKind::Extract(*value))),
            self.assert_that.clone().map(|value| Ok(StepKind::Assert(value))),
            self.frame.clone().map(|value| Ok(StepKind::Frame(*value))),
            self.dialog.clone().map(|value| Ok(StepKind::Dialog(value))),
            self.screenshot.clone().map(|value| Ok(StepKind::Screenshot(value))),
            self.script.clone().map(|value| Ok(StepKind::Script(value))),
            self.http.clone().map(|value| Ok(StepKind::Http(value))),
            self.set.clone().map(|value| Ok(StepKind::Set(value))),
            self.if_then.clone().map(|branch| {
                Ok(StepKind::If(Branches {
                    condition: branch.condition,
                    then: branch.then,
                    otherwise: branch.otherwise,
                }))
            }),
            self.for_each
                .clone()
                .map(|each| Ok(StepKind::ForEach(EachItem { items: each.items, item: each.item, steps: each.steps }))),
            self.block.clone().map(|value| Ok(StepKind::Block(value))),
            self.call.clone().map(|value| Ok(StepKind::Call(value))),
            self.wait.map(|value| Ok(StepKind::Wait(value))),
            self.human_task.clone().map(|value| Ok(StepKind::HumanTask(value))),
            self.notify.clone().map(|value| Ok(StepKind::Notify(value))),
            self.succeed.clone().map(|value| Ok(StepKind::Succeed(value))),
            self.fail.clone().map(|value| Ok(StepKind::Fail(value))),
            self.escalate.clone().map(|value| Ok(StepKind::Escalate(value))),
        ];
        present.into_iter().flatten().collect()
    }

    /// The step's one kind, with its nested steps still raw; or why it has no single kind.
    pub fn kind(&self) -> Result<StepKind<RawStep>, Misshapen> {
        let mut present = self.kinds_present();
        match present.len() {
            0 => Err(Misshapen::NoKind),
            1 => present.pop().unwrap_or(Err(Misshapen::NoKind)),
            _ => Err(Misshapen::SeveralKinds(
                present.iter().map(|kind| kind.as_ref().map_or("select", StepKind::name)).collect(),
            )),
        }
    }
}

impl Step {
    /// The typed form of a raw step and all the steps in it, or `None` if one has no single kind.
    pub fn from_raw(raw: &Located<RawStep>) -> Option<Located<Step>> {
        let steps = |steps: &[Located<RawStep>]| steps.iter().map(Step::from_raw).collect::<Option<Vec<_>>>();
        let kind = raw.kind().ok()?.try_map(&Step::from_raw)?;
        let idempotency = match &raw.idempotency {
            Some(idempotency) => {
                Some(SubmitCheck { check: steps(&idempotency.check)?, done_when: idempotency.done_when.clone() })
            }
            None => None,
        };
        let on_error = match &raw.on_error {
            Some(on_error) => Some(steps(on_error)?),
            None => None,
        };
        let common = StepCommon {
            id: raw.id.clone(),
            name: raw.name.clone(),
            progress: raw.progress.clone(),
            when: raw.when.clone(),
            timeout: raw.timeout,
            retry: raw.retry.clone(),
            on_error,
            submits: raw.submits,
            idempotency,
        };
        Some(Located { value: Step { common, kind }, line: raw.line, column: raw.column })
    }

    /// The typed form of every step, or `None` if one has no single kind (the checker says why).
    pub fn from_raw_steps(raw: &[Located<RawStep>]) -> Option<Vec<Located<Step>>> {
        raw.iter().map(Step::from_raw).collect()
    }

    /// Whether the step drives the browser.
    pub fn uses_browser(&self) -> bool {
        self.kind.uses_browser()
    }

    /// Whether running the step again after it completed could change something outside the run
    /// (or ask a person twice), so that a resumed run must reuse its recorded result instead. A
    /// `call` has a lasting effect when the called workflow has one.
    pub fn has_lasting_effect(&self) -> bool {
        self.common.submits || self.kind.has_lasting_effect()
    }

    /// The steps nested in this one, with what holds them.
    pub fn children(&self) -> Vec<(&'static str, &[Located<Step>])> {
        let mut children = self.kind.children();
        if let Some(idempotency) = &self.common.idempotency {
            children.push(("check", &idempotency.check));
        }
        if let Some(on_error) = &self.common.on_error {
            children.push(("on_error", on_error));
        }
        children
    }
}
