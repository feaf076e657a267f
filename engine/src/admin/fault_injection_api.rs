//! The admin paths of messaging fault injection (tests only: [`crate::messaging::fault`]),
//! bodies JSON in the rules' form (`{"rules": [{"verb": "MUTATION", "peer": "127.0.0.3",
//! "action": "drop"}], "seed": 7}`):
//!
//! * `POST /messaging/fault_injection` — installs the body's rules on every shard,
//!   replacing the rules there; answers the rules installed. Bad rules (unknown verb or
//!   action, probability outside 0..=1, too many) are refused with 400 and the reason.
//! * `GET /messaging/fault_injection` — the rules in force (every shard has the same ones
//!   unless a shard failed to take the last change: then a 500 says so).
//! * `DELETE /messaging/fault_injection` — removes every rule on every shard.

use std::rc::Rc;

use crate::cql::shard::Shard;
use crate::messaging::{FaultRules, Messaging};
use crate::runtime::mesh::ShardCallError;

use super::nodetool_api::Response;

/// The path of the rules.
pub const FAULT_INJECTION_PATH: &str = "/messaging/fault_injection";

/// Why a fault-injection request failed.
#[derive(Debug, thiserror::Error)]
pub enum FaultInjectionApiError {
    #[error("invalid fault injection rules: {0}")]
    BadRules(serde_json::Error),
    #[error("cannot reach every shard's messaging: {0}")]
    ShardCall(#[from] ShardCallError),
    #[error("the shards hold different fault injection rules (a change reached only some of them)")]
    ShardsDisagree,
}

impl FaultInjectionApiError {
    fn status(&self) -> &'static str {
        match self {
            FaultInjectionApiError::BadRules(_) => "400 Bad Request",
            FaultInjectionApiError::ShardCall(_) | FaultInjectionApiError::ShardsDisagree => {
                "500 Internal Server Error"
            }
        }
    }
}

/// Answers a fault-injection path, or `None` if it is not one.
pub async fn route(shard: &Rc<Shard>, method: &str, path: &str, body: &[u8]) -> Option<Response> {
    if path != FAULT_INJECTION_PATH {
        return None;
    }
    let result = match method {
        "GET" => rules_in_force(shard).await,
        "POST" => match serde_json::from_slice::<FaultRules>(body) {
            Ok(rules) => install(shard, rules).await,
            Err(error) => Err(FaultInjectionApiError::BadRules(error)),
        },
        "DELETE" => install(shard, FaultRules::default()).await,
        _ => return Some(("405 Method Not Allowed", "GET, POST or DELETE\n".to_string())),
    };
    Some(match result {
        Ok(rules) => ("200 OK", serde_json::to_string(&rules).unwrap_or_default()),
        Err(error) => (error.status(), format!("{error}\n")),
    })
}

/// Installs `rules` on every shard; answers them.
async fn install(shard: &Shard, rules: FaultRules) -> Result<FaultRules, FaultInjectionApiError> {
    let installed = rules.clone();
    shard
        .router
        .call_all(shard.nr_shards(), move |messaging: Rc<Messaging>| async move { messaging.set_fault_rules(rules) })
        .await?;
    Ok(installed)
}

/// Every shard's rules, which must agree.
async fn rules_in_force(shard: &Shard) -> Result<FaultRules, FaultInjectionApiError> {
    let per_shard = shard
        .router
        .call_all(shard.nr_shards(), |messaging: Rc<Messaging>| async move { messaging.fault_rules() })
        .await?;
    let mut shards = per_shard.into_iter();
    let first = shards.next().unwrap_or_default();
    if shards.any(|rules| rules != first) {
        return Err(FaultInjectionApiError::ShardsDisagree);
    }
    Ok(first)
}
