//! Fault injection for tests: rules that drop, delay or duplicate this shard's outgoing
//! requests by verb and peer (the tool of the cluster tests: drop every MUTATION to one
//! node to check read repair, delay READ to one peer to trigger speculative retry).
//!
//! Off unless enabled: a [`Messaging`](super::Messaging) starts with no rules, and with
//! none a send pays one `is_empty` check. Rules come from `percore.yaml`'s
//! `messaging_fault_injection` key at start-up or from the admin API
//! (`POST|GET|DELETE /messaging/fault_injection`), which installs them on every shard.
//!
//! [`FaultRules::decide`]: the first rule whose verb and peer match (an absent verb or peer
//! matches any) decides; with its `probability` (default 1) it applies, otherwise the
//! message passes. Draws come from a small seeded generator (splitmix64): a rule set given
//! a `seed` makes the same decisions for the same sequence of sends, so a failing test
//! reproduces. Every shard gets its own copy of the generator, starting from the seed.
//!
//! What each action does to a request (in `Messaging::send_with_timeout`):
//! - drop: never written; the sender waits out its timeout and gets `Timeout`, exactly what
//!   a lost message looks like;
//! - delay: written after `ms` (a glommio timer); the timeout still counts from the call;
//! - duplicate: written twice, so the peer's handler runs twice; the first response wins.
//!
//! The JSON (and YAML) form, checked when read ([`FaultRuleError`]):
//! `{"rules": [{"verb": "MUTATION", "peer": "127.0.0.3", "action": "drop"},
//! {"verb": "READ", "action": "delay", "ms": 200, "probability": 0.5}], "seed": 7}` —
//! verbs by [`Verb::name`], actions `drop`, `delay` (with `ms`), `duplicate`.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::limits;

use super::verb::Verb;

/// A rule's probability when it gives none: it always applies.
pub const DEFAULT_PROBABILITY: f64 = 1.0;

/// What a matching rule does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// Never sent: the sender times out.
    Drop,
    /// Sent `ms` milliseconds late.
    Delay { ms: u64 },
    /// Sent twice; the first response is used.
    Duplicate,
}

impl FaultAction {
    /// The action's name in the JSON form (and the `action` label of the metrics).
    pub fn name(self) -> &'static str {
        match self {
            FaultAction::Drop => "drop",
            FaultAction::Delay { .. } => "delay",
            FaultAction::Duplicate => "duplicate",
        }
    }
}

/// One rule: requests of `verb` (any if `None`) to `peer` (any if `None`) get `action`,
/// with `probability`.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    pub verb: Option<Verb>,
    pub peer: Option<IpAddr>,
    pub action: FaultAction,
    /// In `0..=1`.
    pub probability: f64,
}

impl FaultRule {
    /// A rule that always applies.
    pub fn new(verb: Option<Verb>, peer: Option<IpAddr>, action: FaultAction) -> FaultRule {
        FaultRule { verb, peer, action, probability: DEFAULT_PROBABILITY }
    }

    pub fn matches(&self, verb: Verb, peer: IpAddr) -> bool {
        self.verb.is_none_or(|v| v == verb) && self.peer.is_none_or(|p| p == peer)
    }

    fn check(&self) -> Result<(), FaultRuleError> {
        if !(0.0..=1.0).contains(&self.probability) {
            return Err(FaultRuleError::BadProbability(self.probability));
        }
        if let FaultAction::Delay { ms } = self.action {
            if ms > limits::MESSAGING_FAULT_DELAY_MS_MAX {
                return Err(FaultRuleError::DelayTooLong { ms, max: limits::MESSAGING_FAULT_DELAY_MS_MAX });
            }
        }
        Ok(())
    }
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultDecision {
    /// Sent as usual.
    Pass,
    Drop,
    Delay(Duration),
    Duplicate,
}

/// Why a rule set was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultRuleError {
    #[error("unknown verb '{0}' (verbs: {names})", names = verb_names())]
    UnknownVerb(String),
    #[error("unknown action '{0}' (actions: drop, delay, duplicate)")]
    UnknownAction(String),
    #[error("a delay rule needs 'ms'")]
    MissingDelay,
    #[error("'ms' belongs to delay rules, not to a {0} rule")]
    UnexpectedDelay(&'static str),
    #[error("a delay of {ms} ms is over the limit of {max} ms")]
    DelayTooLong { ms: u64, max: u64 },
    #[error("probability {0} is not between 0 and 1")]
    BadProbability(f64),
    #[error("{count} rules are more than the limit of {max}")]
    TooManyRules { count: usize, max: usize },
}

fn verb_names() -> String {
    Verb::ALL.iter().map(|verb| verb.name()).collect::<Vec<_>>().join(", ")
}

/// A shard's rules, first match wins; at most [`limits::MESSAGING_FAULT_RULES_MAX`]. The
/// default is no rules: nothing is injected.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(try_from = "FaultRulesForm", into = "FaultRulesForm")]
pub struct FaultRules {
    rules: Vec<FaultRule>,
    seed: Option<u64>,
    /// The generator's state (splitmix64).
    rng: u64,
}

impl PartialEq for FaultRules {
    /// The same rules and seed, wherever their generators are.
    fn eq(&self, other: &FaultRules) -> bool {
        self.rules == other.rules && self.seed == other.seed
    }
}

impl FaultRules {
    /// Checks `rules`; without a `seed`, draws come from a random one.
    pub fn new(rules: Vec<FaultRule>, seed: Option<u64>) -> Result<FaultRules, FaultRuleError> {
        if rules.len() > limits::MESSAGING_FAULT_RULES_MAX {
            return Err(FaultRuleError::TooManyRules { count: rules.len(), max: limits::MESSAGING_FAULT_RULES_MAX });
        }
        for rule in &rules {
            rule.check()?;
        }
        Ok(FaultRules { rules, seed, rng: seed.unwrap_or_else(rand::random) })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn rules(&self) -> &[FaultRule] {
        &self.rules
    }

    pub fn seed(&self) -> Option<u64> {
        self.seed
    }

    /// What to do with a request of `verb` to `peer`: the first matching rule decides.
    pub fn decide(&mut self, verb: Verb, peer: IpAddr) -> FaultDecision {
        let Some(rule) = self.rules.iter().find(|rule| rule.matches(verb, peer)) else {
            return FaultDecision::Pass;
        };
        let (action, probability) = (rule.action, rule.probability);
        if probability < 1.0 && self.next_unit() >= probability {
            return FaultDecision::Pass;
        }
        match action {
            FaultAction::Drop => FaultDecision::Drop,
            FaultAction::Delay { ms } => FaultDecision::Delay(Duration::from_millis(ms)),
            FaultAction::Duplicate => FaultDecision::Duplicate,
        }
    }

    /// A uniform draw in `[0, 1)` (splitmix64's output, 53 bits).
    fn next_unit(&mut self) -> f64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The JSON/YAML form of one rule, before it is checked.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRuleForm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    verb: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    peer: Option<IpAddr>,
    action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    probability: Option<f64>,
}

/// The JSON/YAML form of a rule set.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRulesForm {
    #[serde(default)]
    rules: Vec<FaultRuleForm>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
}

impl TryFrom<FaultRuleForm> for FaultRule {
    type Error = FaultRuleError;

    fn try_from(form: FaultRuleForm) -> Result<FaultRule, FaultRuleError> {
        let verb = match form.verb {
            None => None,
            Some(name) => Some(Verb::from_name(&name).ok_or(FaultRuleError::UnknownVerb(name))?),
        };
        let action = match (form.action.to_ascii_lowercase().as_str(), form.ms) {
            ("delay", Some(ms)) => FaultAction::Delay { ms },
            ("delay", None) => return Err(FaultRuleError::MissingDelay),
            ("drop", None) => FaultAction::Drop,
            ("duplicate", None) => FaultAction::Duplicate,
            ("drop", Some(_)) => return Err(FaultRuleError::UnexpectedDelay("drop")),
            ("duplicate", Some(_)) => return Err(FaultRuleError::UnexpectedDelay("duplicate")),
            _ => return Err(FaultRuleError::UnknownAction(form.action)),
        };
        let rule =
            FaultRule { verb, peer: form.peer, action, probability: form.probability.unwrap_or(DEFAULT_PROBABILITY) };
        rule.check()?;
        Ok(rule)
    }
}

impl TryFrom<FaultRulesForm> for FaultRules {
    type Error = FaultRuleError;

    fn try_from(form: FaultRulesForm) -> Result<FaultRules, FaultRuleError> {
        if form.rules.len() > limits::MESSAGING_FAULT_RULES_MAX {
            let count = form.rules.len();
            return Err(FaultRuleError::TooManyRules { count, max: limits::MESSAGING_FAULT_RULES_MAX });
        }
        let rules = form.rules.into_iter().map(FaultRule::try_from).collect::<Result<Vec<_>, _>>()?;
        FaultRules::new(rules, form.seed)
    }
}

impl From<FaultRules> for FaultRulesForm {
    fn from(rules: FaultRules) -> FaultRulesForm {
        let forms = rules
            .rules
            .into_iter()
            .map(|rule| FaultRuleForm {
                verb: rule.verb.map(|verb| verb.name().to_string()),
                peer: rule.peer,
                action: rule.action.name().to_string(),
                ms: match rule.action {
                    FaultAction::Delay { ms } => Some(ms),
                    _ => None,
                },
                probability: Some(rule.probability),
            })
            .collect();
        FaultRulesForm { rules: forms, seed: rules.seed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(address: &str) -> IpAddr {
        address.parse().unwrap()
    }

    fn rules(json: &str) -> Result<FaultRules, String> {
        serde_json::from_str::<FaultRules>(json).map_err(|e| e.to_string())
    }

    #[test]
    fn no_rules_let_everything_pass() {
        let mut none = FaultRules::default();
        assert!(none.is_empty());
        for verb in Verb::ALL {
            assert_eq!(none.decide(verb, ip("127.0.0.2")), FaultDecision::Pass);
        }
    }

    #[test]
    fn rules_match_by_verb_and_peer_and_the_first_match_wins() {
        let mut faults = FaultRules::new(
            vec![
                FaultRule::new(Some(Verb::Mutation), Some(ip("127.0.0.3")), FaultAction::Drop),
                FaultRule::new(Some(Verb::Read), None, FaultAction::Delay { ms: 150 }),
                FaultRule::new(None, Some(ip("127.0.0.3")), FaultAction::Duplicate),
                FaultRule::new(Some(Verb::Read), Some(ip("127.0.0.3")), FaultAction::Drop),
            ],
            Some(1),
        )
        .unwrap();
        assert_eq!(faults.decide(Verb::Mutation, ip("127.0.0.3")), FaultDecision::Drop);
        assert_eq!(faults.decide(Verb::Mutation, ip("127.0.0.2")), FaultDecision::Pass);
        // The delay rule comes before the drop rule for READ to .3.
        assert_eq!(faults.decide(Verb::Read, ip("127.0.0.3")), FaultDecision::Delay(Duration::from_millis(150)));
        assert_eq!(faults.decide(Verb::Read, ip("127.0.0.9")), FaultDecision::Delay(Duration::from_millis(150)));
        assert_eq!(faults.decide(Verb::Echo, ip("127.0.0.3")), FaultDecision::Duplicate);
        assert_eq!(faults.decide(Verb::Echo, ip("127.0.0.2")), FaultDecision::Pass);
    }

    #[test]
    fn probability_is_drawn_from_the_seed_and_reproduces() {
        let draws = |seed| {
            let rule = FaultRule { probability: 0.3, ..FaultRule::new(None, None, FaultAction::Drop) };
            let mut faults = FaultRules::new(vec![rule], Some(seed)).unwrap();
            (0..1000).map(|_| faults.decide(Verb::Echo, ip("127.0.0.2")) == FaultDecision::Drop).collect::<Vec<_>>()
        };
        let first = draws(7);
        assert_eq!(first, draws(7), "the same seed makes the same decisions");
        assert_ne!(first, draws(8));
        let dropped = first.iter().filter(|d| **d).count();
        assert!((200..400).contains(&dropped), "about 30% dropped: {dropped}");
        let never = FaultRule { probability: 0.0, ..FaultRule::new(None, None, FaultAction::Drop) };
        let mut never = FaultRules::new(vec![never], None).unwrap();
        assert!((0..100).all(|_| never.decide(Verb::Echo, ip("127.0.0.2")) == FaultDecision::Pass));
    }

    #[test]
    fn the_json_form_reads_and_writes_back() {
        let faults = rules(
            r#"{"rules":[{"verb":"MUTATION","peer":"127.0.0.3","action":"drop"},
                {"verb":"read","action":"delay","ms":200,"probability":0.5},
                {"action":"duplicate"}], "seed": 7}"#,
        )
        .unwrap();
        assert_eq!(faults.seed(), Some(7));
        assert_eq!(
            faults.rules(),
            [
                FaultRule::new(Some(Verb::Mutation), Some(ip("127.0.0.3")), FaultAction::Drop),
                FaultRule {
                    probability: 0.5,
                    ..FaultRule::new(Some(Verb::Read), None, FaultAction::Delay { ms: 200 })
                },
                FaultRule::new(None, None, FaultAction::Duplicate),
            ]
        );
        let json = serde_json::to_string(&faults).unwrap();
        assert_eq!(rules(&json).unwrap(), faults);
        assert!(json.contains(r#""verb":"READ""#) && json.contains(r#""action":"delay","ms":200"#), "{json}");
        assert_eq!(rules("{}").unwrap(), FaultRules::default());
        let yaml = "rules:\n  - verb: MUTATION\n    action: drop\nseed: 3\n";
        let from_yaml: FaultRules = serde_yaml::from_str(yaml).unwrap();
        assert_eq!(from_yaml.rules(), [FaultRule::new(Some(Verb::Mutation), None, FaultAction::Drop)]);
    }

    #[test]
    fn bad_rules_are_refused_with_the_reason() {
        for (json, reason) in [
            (r#"{"rules":[{"verb":"MUTATE","action":"drop"}]}"#, "unknown verb 'MUTATE' (verbs: ECHO,"),
            (r#"{"rules":[{"action":"explode"}]}"#, "unknown action 'explode'"),
            (r#"{"rules":[{"action":"delay"}]}"#, "a delay rule needs 'ms'"),
            (r#"{"rules":[{"action":"drop","ms":5}]}"#, "'ms' belongs to delay rules"),
            (r#"{"rules":[{"action":"drop","probability":1.5}]}"#, "probability 1.5 is not between 0 and 1"),
            (r#"{"rules":[{"action":"drop","probability":-0.1}]}"#, "probability -0.1"),
            (r#"{"rules":[{"action":"delay","ms":999999999}]}"#, "over the limit"),
            (r#"{"rules":[{"action":"drop","peer":"nowhere"}]}"#, "invalid IP address"),
            (r#"{"rules":[{"action":"drop","verbs":"READ"}]}"#, "unknown field `verbs`"),
            (r#"{"rule":[]}"#, "unknown field `rule`"),
        ] {
            let error = rules(json).expect_err(json);
            assert!(error.contains(reason), "{json}: {error:?} does not say {reason:?}");
        }
        let too_many = vec![r#"{"action":"drop"}"#; limits::MESSAGING_FAULT_RULES_MAX + 1].join(",");
        let error = rules(&format!(r#"{{"rules":[{too_many}]}}"#)).unwrap_err();
        assert!(error.contains("more than the limit"), "{error}");
        let direct = FaultRules::new(
            vec![FaultRule { probability: f64::NAN, ..FaultRule::new(None, None, FaultAction::Drop) }],
            None,
        );
        assert!(matches!(direct, Err(FaultRuleError::BadProbability(_))));
    }
}
