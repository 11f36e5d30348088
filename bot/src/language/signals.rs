//! What a message signals beyond its words: a command ("cancel", "start again", "talk to a
//! person"), a danger that needs a person at once, frustration, saying an answer was wrong, small
//! talk, or a question.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{normalise, words};

/// A command that works at any point of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Stop what is under way.
    Cancel,
    /// Begin the current request again.
    StartAgain,
    /// Hand over to a person.
    Person,
    /// Carry the conversation on in this language.
    Language(knowledge_base::Language),
}

/// A danger that needs a person at once, with its own emergency contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Concern {
    /// Someone may harm themselves.
    SelfHarm,
    /// Someone is in danger from another person, or may harm another.
    Violence,
    /// Abuse, including domestic abuse and the abuse or neglect of a child or adult.
    Abuse,
    /// No safe place to sleep tonight.
    Homeless,
    /// A smell of gas or carbon monoxide.
    Gas,
    /// A request its workflow says may be an emergency (an emergency repair), with the workflow's
    /// own contacts.
    UrgentRequest,
}

impl Concern {
    /// Every concern.
    pub const ALL: [Concern; 6] =
        [Concern::SelfHarm, Concern::Violence, Concern::Abuse, Concern::Homeless, Concern::Gas, Concern::UrgentRequest];

    /// The concern's name in configuration and records.
    pub fn as_str(self) -> &'static str {
        storage::names::name_of(&self)
    }
}

/// Small talk the bot answers politely without searching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmallTalk {
    /// "hello".
    Greeting,
    /// "thanks".
    Thanks,
    /// "bye".
    Goodbye,
}

fn patterns(sources: &[&str]) -> Vec<Regex> {
    sources.iter().map(|source| Regex::new(source).expect("valid regex")).collect()
}

static PERSON: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    patterns(&[
        r"\b(speak|talk|chat|get through|put me through|connect me|transfer me)\b.{0,20}\b(person|human|someone|somebody|agent|adviser|advisor|operator|officer|member of staff|staff member|people|real one|customer service|customer services)\b",
        r"\b(real|actual|live) (person|human|agent|people)\b",
        r"^(a |an )?(human|person|agent|operator|adviser|advisor|real person)( please)?[.!?]*$",
        r"\b(i want|i would like|i need|can i have|give me|get me) (a |an )?(human|person|agent|operator|adviser|advisor)\b",
        r"\b(call|phone|ring) me back\b",
        // Welsh: "siarad â pherson", "person go iawn", "ga i siarad â rhywun".
        r"\b(siarad|sgwrsio)\b.{0,12}\b(pherson|person|rhywun|aelod o staff|aelod o'?r t[iî]m|bod dynol)\b",
        r"\b(person|bod dynol) go iawn\b",
        r"^(person|pherson)( os gwelwch yn dda| plis)?[.!?]*$",
    ])
});

/// Asking to carry on in Welsh (`cy`) or in English (`en`), in a few words.
static LANGUAGE: LazyLock<Vec<(knowledge_base::Language, Regex)>> = LazyLock::new(|| {
    use knowledge_base::Language::{English, Welsh};
    vec![
        (Welsh, Regex::new(r"^((parhau|siarad|ymlaen|ateb) )?(yn |mewn )?(c|g|ch)?ymraeg( os gwelwch yn dda| plis| please)?[.!]*$").expect("valid regex")),
        (Welsh, Regex::new(r"^(in )?welsh( please)?[.!]*$|^(can we |can i )?(speak|talk|carry on|continue|chat) in welsh( please)?[.!?]*$").expect("valid regex")),
        (English, Regex::new(r"^((stay|carry on|continue|speak|talk) )?(in )?english( please)?[.!]*$").expect("valid regex")),
        (English, Regex::new(r"^((aros|parhau|siarad) )?(yn |mewn )?saesneg( os gwelwch yn dda| plis)?[.!]*$").expect("valid regex")),
    ]
});

static CANCEL: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    patterns(&[
        r"^(please )?(cancel|stop|quit|exit|abort)( (it|this|that|please|the request|my request|the report|everything))*[.!]*$",
        r"^(canslo|stopio|rhoi'?r gorau iddi)( (fe|e|fo|hwn|hyn|hynny|y cais|fy nghais|os gwelwch yn dda|plis))*[.!]*$",
        r"^(anghofiwch (e|fe|fo|hynny)|dim ots|dw i wedi newid fy meddwl|rwyf wedi newid fy meddwl)[.!]*$",
        r"^(forget it|never ?mind|nevermind|do not bother|i do not want to (do this|carry on|continue)( any ?more)?|i have changed my mind)[.!]*$",
        r"^(no,? )?(cancel|stop) (it|this|that)( please)?[.!]*$",
    ])
});

static START_AGAIN: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    patterns(&[
        r"^(please )?(start (again|over|afresh)|restart|begin again|reset|go back to the (start|beginning)|start from the beginning)( please)?[.!]*$",
        r"^(dechrau (eto|o'?r dechrau|o'?r newydd)|ail ?ddechrau)( os gwelwch yn dda| plis)?[.!]*$",
    ])
});

static CONCERNS: LazyLock<Vec<(Concern, Vec<Regex>)>> = LazyLock::new(|| {
    vec![
        (
            Concern::SelfHarm,
            patterns(&[
                r"\b(kill|killing|hurt|hurting|harm|harming|cut|cutting|hang|hanging) my ?self\b",
                r"\bsuicid",
                r"\bself[- ]?harm",
                r"\b(end|ending|take|taking) my (own )?life\b",
                r"\bend it all\b",
                r"\b(do not|no longer) want to (live|be alive|be here|wake up)\b",
                r"\bbetter off dead\b",
                r"\bno (reason|point) (in )?(to )?(living|live|go on|going on)\b",
                r"\bwant to die\b",
                r"\boverdose\b",
                // Welsh.
                r"\b(lladd|brifo|niweidio|anafu|torri) fy (hun|hunan)\b",
                r"\bhunan ?laddiad",
                r"\bhunan[- ]?niwed",
                r"\b(eisiau|isio|moyn|am) farw\b",
                r"\b(dim|ddim) (eisiau|isio|moyn) byw\b",
                r"\b(diweddu|gorffen|cymryd) fy (mywyd|mywyd fy hun)\b",
                r"\bgorddos",
            ]),
        ),
        (
            Concern::Violence,
            patterns(&[
                r"\b(going to|gonna|want to|will|threaten\w* to|about to|i could) (kill|hurt|stab|attack|beat up|shoot) (someone|somebody|him|her|them|you|people|everyone|my|the neighbou?r)",
                r"\b(threaten\w*|going|gonna|trying|tried|said (he|she|they) would|wants?) to (kill|hurt|stab|attack|beat up|beat) (me|us|my|the kids|the children)\b",
                r"\b(got|has|have|with|carrying) (a|an) (knife|gun|weapon|machete)\b",
                r"\b(someone|somebody|a man|a woman|they|he|she) (is|are) (trying to )?(break\w* in|attacking|hitting|hurting)\b",
                r"\b(in danger|not safe right now|unsafe right now)\b",
                // Welsh.
                r"\bmewn perygl\b",
                r"\b(dim|ddim) yn ddiogel (nawr|r[ŵw]an|ar hyn o bryd)\b",
                r"\b(bygwth|mynd i|trio|ceisio) (fy |ein )?(lladd|mrifo|mrifo i|niweidio|nharo|taro)\b",
                r"\b(gyda|gydag|efo) (chyllell|gwn|arf)\b",
            ]),
        ),
        (
            Concern::Abuse,
            patterns(&[
                r"\bdomestic (abuse|violence)\b",
                r"\b(being|been|am|was|getting|get) (abused|hit|beaten|beat|hurt|raped|assaulted|attacked|controlled)\b",
                r"\b(he|she|they|partner|husband|wife|boyfriend|girlfriend|dad|mum|father|mother|carer|ex|son|daughter|stepdad|stepmum) (hits|hit|beats|beat|kicks|kicked|punches|punched|abuses|abused|rapes|raped|hurts|strangled|chokes|choked) (me|us|my|the kids|the children|her|him)\b",
                r"\b(child|children|kid|kids|elderly|vulnerable adult|old person) (is |are )?(being )?(abused|neglected|hurt|left alone)\b",
                r"\b(child|elder|adult) (abuse|neglect)\b",
                r"\b(scared|afraid|frightened|terrified) (of|for) (my|him|her|them) ?(partner|husband|wife|boyfriend|girlfriend|ex|life|safety)?\b",
                r"\b(do not|does not|never) feel safe (at home|in my (home|house|flat)|with (him|her|them|my))\b",
                r"\bforced (marriage|to marry)\b",
                // Welsh.
                r"\b(cam-?drin|trais) domestig\b",
                r"\b(yn )?(fy|ein) (nharo|ngham-?drin|nghuro|mrifo|nghicio)\b",
                r"\b(ofn|ofni|ofnus o) (fy )?(mhartner|ng[ŵw]r|ngwraig|nghariad|nhad|mam|nghyn-?bartner)\b",
                r"\bcam-?drin plant\b",
                r"\b(plentyn|plant) (yn cael eu |yn cael ei )?(cam-?drin|esgeuluso)\b",
                r"\bpriodas (dan orfod|orfodol)\b",
            ]),
        ),
        (
            Concern::Homeless,
            patterns(&[
                r"\b(nowhere|no where|no place|no safe place|nowhere safe|not anywhere) (safe )?to (sleep|stay|go|live)\b",
                r"\b(sleeping|sleep|slept|sleep out|have to sleep) (rough|on the streets?|in (my|the) car|outside|in a park|on a bench)\b",
                r"\b(homeless|evicted|kicked out|thrown out|locked out of (my|our) (home|house|flat))\b.{0,40}\b(tonight|today|now|right now)\b",
                r"\b(tonight|today|right now)\b.{0,40}\b(homeless|kicked out|thrown out|nowhere to (sleep|stay|go))\b",
                r"\b(i am|we are|i have become|we have become|i just became) (now )?homeless\b",
                r"\bon the streets? (tonight|now)\b",
                // Welsh.
                r"\bddigartref\b.{0,40}\b(heno|heddiw|nawr|r[ŵw]an)\b",
                r"\bdigartref\b.{0,40}\b(heno|heddiw|nawr|r[ŵw]an)\b",
                r"\b(heno|heddiw|nawr|r[ŵw]an)\b.{0,40}\b(d?digartref|unman i gysgu|nunlle i gysgu)\b",
                r"\b(unman|nunlle|nunman|dim lle) (diogel )?i (gysgu|aros|fynd|fyw)\b",
                r"\b(dwi|dw i|rydw i|rwy|rwy i|dan ni|ni|rydyn ni|ry ni)('n| yn) ddigartref\b",
                r"\bcysgu (allan|ar y stryd|ar y strydoedd|yn y car|mewn parc)\b",
                r"\b(wedi cael|ces i|cawson ni|ges i) (fy|ein) (nhaflu|taflu|cicio|nghicio) allan\b",
            ]),
        ),
        (
            Concern::Gas,
            patterns(&[
                r"\b(smell|smells|smelt|smelled|smelling|whiff|stink|stinks|reeks?) (of )?gas\b",
                r"\bgas (leak|leaking|smell|escape)",
                r"\bleaking gas\b",
                r"\bcarbon monoxide\b",
                r"\b(co|carbon monoxide) alarm (is )?(going off|beeping|sounding)",
                // Welsh.
                r"\b(arogl|oglau|ogla|gwynto|arogli) (o )?nwy\b",
                r"\b(nwy yn gollwng|gollwng nwy)\b",
                r"\bcarbon monocsid\b",
            ]),
        ),
    ]
});

static STRONG_FRUSTRATION: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    patterns(&[
        r"\b(fuck\w*|shit\w*|bollocks|bullshit|wtf|ffs|piss\w* off|crap bot|bloody useless)\b",
        r"\b(you are|this is|this bot is|what a|so|absolutely|totally|completely) (useless|pointless|hopeless|a joke|ridiculous|rubbish|stupid|crap|garbage|a waste of time)\b",
        r"\b(useless|stupid|pointless|dumb|rubbish) (bot|robot|machine|system|thing|computer)\b",
        r"\b(waste of (my )?time|not helping( me)?( at all)?|you are not listening|you do not understand|not listening)\b",
        r"\b(i am|i am so|i am getting|getting) (fed up|sick of|frustrated|angry|furious|annoyed)\b",
        r"\bfed up\b",
    ])
});

static MILD_FRUSTRATION: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    patterns(&[
        r"\b(that is not what i (asked|said|meant)|i already (told|said|gave)|i have already (told|said))\b",
        r"(again\?+|\?\?+|!!+)",
        r"\b(seriously|come on|for goodness sake|for god'?s sake|honestly)\b",
    ])
});

/// Saying the answer just given was wrong or did not help, as the whole message (read without
/// punctuation): "that's not what I asked", "that's wrong", "that didn't help", "no, that's not
/// it".
static SAYS_WRONG: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    const LEAD: &str = r"^((no|nope|nah|sorry|but|um|hmm|erm|well) )*";
    const TRAIL: &str = r"( (at all|though|sorry|thanks|mate|again|either|really))*$";
    const SUBJECT: &str = r"(that|this|it|your answer|the answer|that answer|this answer|your reply|that reply)";
    let sources = [
        format!(
            "{LEAD}({SUBJECT} (is|was) )?not (what i (asked|asked for|asked about|meant|wanted|want|said|need|needed|was asking|was asking about|am asking|am asking about|was looking for|am looking for)|it|right|correct|true|accurate|helpful|useful|relevant|the answer|the right answer|an answer|my question|the question|what i need){TRAIL}"
        ),
        format!(
            "{LEAD}{SUBJECT} (is|was|seems|looks) (wrong|incorrect|untrue|inaccurate|irrelevant|out of date|outdated|no help|no use|not much help|not very helpful|unhelpful|useless|the wrong answer){TRAIL}"
        ),
        format!("{LEAD}(wrong|incorrect|unhelpful|irrelevant)( answer| information| info| page)?{TRAIL}"),
        format!(
            "{LEAD}({SUBJECT}|you) (still )?(did not|does not|has not|have not|do not) (help|help me|help much|answer (my|the|that|what i asked)( question)?|answer it|answer my query|make sense|tell me what i (asked|wanted|want|need|needed)( to know)?){TRAIL}"
        ),
        format!("{LEAD}you (got|have got|have) (it|that) wrong{TRAIL}"),
        format!("{LEAD}{SUBJECT} (is|was) no (help|use|good){TRAIL}"),
    ];
    sources.iter().map(|source| Regex::new(source).expect("valid regex")).collect()
});

static QUESTION_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(what|whats|when|where|which|who|whom|whose|why|how|is|are|am|do|does|did|can i|could i|may i|should|shall|will|would i|have|has|if|any|tell me|i want to know|i would like to know|explain)\b",
    )
    .expect("valid regex")
});

static OPENING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^((hi|hello|hey|hiya|please|sorry|excuse me|good (morning|afternoon|evening))\b[,.!]*\s*)+")
        .expect("valid regex")
});

static REQUEST_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(please|can you|could you|would you|will you|can u|could u|would u|will u|can someone|could someone|can somebody|i need|i want|i would like|i would like to|i have to|help me|i need to|i wish to|(can|could|may) i (report|book|arrange|order|request|apply|register|renew|tell you|let you know|sign up)|is it possible to (report|book|arrange|order))\b")
        .expect("valid regex")
});

/// Openings that ask whether the council will do something ("can you collect a piano", "will you
/// take rubble"): as often a question about the service as a request for it.
static ASKS_WHETHER_DONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(can|could|will|would) (you|u|ya|someone|somebody|the council|the bin men|your crews?)\b")
        .expect("valid regex")
});

/// What follows such an opening when it only asks to be told ("can you tell me when…").
static ONLY_TELLING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(please )?(tell|explain|let me know|say|confirm|advise|show)\b").expect("valid regex")
});

/// Words that name information rather than something to be done: "missed bin rules" and
/// "bulky waste prices" ask to be told, though they ask nothing in words.
static INFORMATION_SOUGHT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(rules|regulations|policy|policies|price|prices|pricing|price list|cost|costs|fee|fees|charges|deadline|deadlines|timescale|timescales|time limit|time limits|eligibility|criteria|opening hours|opening times|what do i do|what should i do|what happens)\b",
    )
    .expect("valid regex")
});

/// The command a message gives, if it is one.
pub fn command(text: &str) -> Option<Command> {
    let normalised = normalise(text);
    let message = normalised.trim();
    if PERSON.iter().any(|pattern| pattern.is_match(message)) {
        return Some(Command::Person);
    }
    let folded = knowledge_base::language::without_accents(message);
    if let Some((language, _)) = LANGUAGE.iter().find(|(_, pattern)| pattern.is_match(&folded)) {
        return Some(Command::Language(*language));
    }
    if words(message).len() <= 8 {
        if START_AGAIN.iter().any(|pattern| pattern.is_match(message)) {
            return Some(Command::StartAgain);
        }
        if CANCEL.iter().any(|pattern| pattern.is_match(message)) {
            return Some(Command::Cancel);
        }
    }
    None
}

/// The most pressing danger a message speaks of, if any.
pub fn concern(text: &str) -> Option<Concern> {
    let normalised = normalise(text);
    CONCERNS.iter().find(|(_, patterns)| patterns.iter().any(|pattern| pattern.is_match(&normalised))).map(|(c, _)| *c)
}

/// How frustrated a message sounds: 2 for clear frustration (swearing, "useless"), 1 for signs
/// of it (repeated question marks, shouting, "I already told you"), 0 for none.
pub fn frustration(text: &str) -> u32 {
    let normalised = normalise(text);
    if STRONG_FRUSTRATION.iter().any(|pattern| pattern.is_match(&normalised)) {
        return 2;
    }
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let shouting = letters.len() >= 12 && letters.iter().all(|c| c.is_uppercase());
    if shouting || MILD_FRUSTRATION.iter().any(|pattern| pattern.is_match(&normalised)) {
        return 1;
    }
    0
}

/// Whether a message says no more than that the answer just given was wrong or did not help
/// ("that's not what I asked", "that didn't help"); a message that goes on to ask something is
/// not only that.
pub fn says_wrong(text: &str) -> bool {
    let normalised = normalise(text);
    let message = words(&normalised).join(" ");
    words(&message).len() <= 12 && SAYS_WRONG.iter().any(|pattern| pattern.is_match(&message))
}

/// Whether a message is only small talk.
pub fn small_talk(text: &str) -> Option<SmallTalk> {
    let normalised = normalise(text);
    let message: Vec<&str> = words(&normalised);
    let joined = message.join(" ");
    const GREETINGS: &[&str] = &[
        "hi",
        "hello",
        "hey",
        "hiya",
        "good morning",
        "good afternoon",
        "good evening",
        "hi there",
        "hello there",
        "morning",
        "afternoon",
        "evening",
        "hey there",
        "helo",
        "shwmae",
        "shwmai",
        "sut mae",
        "sut ma",
        "bore da",
        "prynhawn da",
        "noswaith dda",
        "hylo",
        "haia",
    ];
    const THANKS: &[&str] = &[
        "thanks",
        "thank you",
        "thank you very much",
        "thanks a lot",
        "cheers",
        "ta",
        "great thanks",
        "ok thanks",
        "okay thanks",
        "brilliant thanks",
        "many thanks",
        "thank you so much",
        "that is great thanks",
        "that is helpful thanks",
        "great",
        "brilliant",
        "perfect",
        "lovely",
        "diolch",
        "diolch yn fawr",
        "diolch yn fawr iawn",
        "diolch o galon",
        "grêt diolch",
        "gret diolch",
        "iawn diolch",
        "gwych",
        "gwych diolch",
        "ardderchog",
    ];
    const GOODBYES: &[&str] = &[
        "bye",
        "goodbye",
        "bye bye",
        "see you",
        "that is all",
        "that is all thanks",
        "no that is all",
        "nothing else",
        "hwyl",
        "hwyl fawr",
        "da boch",
        "dyna i gyd",
        "dyna i gyd diolch",
        "dim byd arall",
        "dim byd arall diolch",
    ];
    if GREETINGS.contains(&joined.as_str()) {
        Some(SmallTalk::Greeting)
    } else if THANKS.contains(&joined.as_str()) {
        Some(SmallTalk::Thanks)
    } else if GOODBYES.contains(&joined.as_str()) {
        Some(SmallTalk::Goodbye)
    } else {
        None
    }
}

/// How a message is put: whether it asks something, and whether it asks whether the council
/// will do something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phrasing {
    /// It asks something rather than asking for something to be done: "how much is a bulky
    /// collection?" and "bulky waste prices" ask; "can you collect my sofa?", "can I report a
    /// missed bin?" and "my bin was missed" do not.
    pub question: bool,
    /// It asks whether the council will do something ("can you collect my garden waste?"),
    /// which may be a request for it or a question about it.
    pub asks_whether_done: bool,
}

/// How a message is put, from one reading of it.
pub fn phrasing(text: &str) -> Phrasing {
    let normalised = normalise(text);
    let message = without_opening(&normalised);
    // Asking to be told ("can you tell me when the tip is open") is a question, however
    // politely put.
    let modal = ASKS_WHETHER_DONE.find(message);
    let asks_to_be_told = modal.is_some_and(|opening| ONLY_TELLING.is_match(message[opening.end()..].trim_start()));
    let question = asks_to_be_told
        || (!REQUEST_START.is_match(message)
            && (QUESTION_START.is_match(message)
                || message.trim_end().ends_with('?')
                || INFORMATION_SOUGHT.is_match(message)));
    Phrasing { question, asks_whether_done: modal.is_some() && !asks_to_be_told }
}

/// Whether a message asks something rather than asking for something to be done (see
/// [`Phrasing::question`]).
pub fn is_question(text: &str) -> bool {
    phrasing(text).question
}

/// A normalised message without its greeting or "please".
fn without_opening(normalised: &str) -> &str {
    let message = normalised.trim_start_matches(|c: char| !c.is_alphanumeric());
    match OPENING.find(message) {
        Some(opening) => &message[opening.end()..],
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_recognised_but_not_inside_other_sentences() {
        assert_eq!(command("Can I speak to a real person please?"), Some(Command::Person));
        assert_eq!(command("human"), Some(Command::Person));
        assert_eq!(command("I want an agent"), Some(Command::Person));
        assert_eq!(command("cancel"), Some(Command::Cancel));
        assert_eq!(command("Never mind."), Some(Command::Cancel));
        assert_eq!(command("start again please"), Some(Command::StartAgain));
        assert_eq!(command("how do I cancel my garden waste subscription"), None);
        assert_eq!(command("stop the bin men parking on my drive"), None);
    }

    #[test]
    fn dangers_are_recognised_by_kind() {
        assert_eq!(concern("I want to kill myself"), Some(Concern::SelfHarm));
        assert_eq!(concern("I don't want to be alive any more"), Some(Concern::SelfHarm));
        assert_eq!(concern("my partner hits me"), Some(Concern::Abuse));
        assert_eq!(concern("I have nowhere safe to sleep tonight"), Some(Concern::Homeless));
        assert_eq!(concern("we got kicked out and we're homeless tonight"), Some(Concern::Homeless));
        assert_eq!(concern("I can smell gas in the kitchen"), Some(Concern::Gas));
        assert_eq!(concern("my neighbour is threatening to kill me"), Some(Concern::Violence));
        assert_eq!(concern("how do I kill weeds on my path"), None);
        assert_eq!(concern("how do I pay my gas safety check fee"), None);
        assert_eq!(concern("I might become homeless in two months"), None);
        // Welsh.
        assert_eq!(concern("dwi'n ddigartref heno"), Some(Concern::Homeless));
        assert_eq!(concern("does gen i unman i gysgu heno"), Some(Concern::Homeless));
        assert_eq!(concern("dwi isio lladd fy hun"), Some(Concern::SelfHarm));
        assert_eq!(concern("mae fy mhartner yn fy nharo"), Some(Concern::Abuse));
        assert_eq!(concern("dwi'n gallu arogli nwy yn y gegin"), Some(Concern::Gas));
        assert_eq!(concern("efallai bydda i'n ddigartref mewn dau fis"), None);
    }

    #[test]
    fn frustration_is_graded() {
        assert_eq!(frustration("this is useless"), 2);
        assert_eq!(frustration("I ALREADY TOLD YOU MY POSTCODE"), 1);
        assert_eq!(frustration("my rubbish bin was missed"), 0);
        assert_eq!(frustration("what goes in the rubbish bin"), 0);
    }

    #[test]
    fn saying_an_answer_was_wrong_is_told_from_a_new_question() {
        for said in [
            "that's not what I asked",
            "That is not what I asked!",
            "no, that's not it",
            "that's wrong",
            "That didn't help.",
            "that doesn't answer my question",
            "you didn't answer my question",
            "not what I meant",
            "wrong answer",
            "Nope, that's not right",
            "this is not helpful at all",
            "that was no help",
        ] {
            assert!(says_wrong(said), "{said}");
        }
        for other in [
            "no",
            "no thanks",
            "that's great, thanks",
            "is that not right for council tax?",
            "it is not working, my boiler is broken",
            "what is the wrong bin for glass",
            "that's not what I asked, I want to know when the tip opens on Sunday and whether I need a permit",
        ] {
            assert!(!says_wrong(other), "{other}");
        }
    }

    #[test]
    fn questions_and_requests_are_told_apart() {
        assert!(is_question("how much does a bulky waste collection cost?"));
        assert!(is_question("when is my bin collected"));
        assert!(is_question("Hi, what time does the tip open"));
        assert!(!is_question("can you collect my old sofa?"));
        assert!(!is_question("my bin wasn't emptied"));
        assert!(!is_question("I need to report a repair"));
        assert!(!is_question("can I report a missed bin here?"), "asked as a question, it asks for the service");
        assert!(!is_question("Could I book a bulky waste collection?"));
        assert!(is_question("missed bin collection rules"), "names information, not something to do");
        assert!(is_question("bulky waste prices"));
        assert!(is_question("garden waste renewal deadline"));
        assert!(!is_question("my bin was missed on Tuesday"));
        assert_eq!(small_talk("Thanks!"), Some(SmallTalk::Thanks));
        assert_eq!(small_talk("hello"), Some(SmallTalk::Greeting));
        assert_eq!(small_talk("hello my bin was missed"), None);
    }

    #[test]
    fn asking_whether_the_council_will_do_something_is_told_from_asking_to_be_told() {
        let asks_whether_done = |text: &str| phrasing(text).asks_whether_done;
        assert!(asks_whether_done("can you collect a piano"));
        assert!(asks_whether_done("Hi, will someone come and empty my bin, they missed it"));
        assert!(asks_whether_done("could u take away my old settee?"));
        assert!(!asks_whether_done("can you tell me when the tip is open"), "only asks to be told");
        assert!(!asks_whether_done("could you please explain my council tax bill"));
        assert!(!asks_whether_done("can i report a missed bin here?"), "asks for the service itself");
        assert!(!asks_whether_done("my bin was missed, can you come back"), "the request comes first");
        assert!(is_question("can u tell me when the tip is open"), "asking to be told is a question");
        assert!(is_question("Could you please explain my council tax bill?"));
        assert!(!is_question("can u take away my old settee"), "a request, however it is spelt");
    }
}
