//! Strategies for single values of the vocabulary: decisions, grants, permission profiles,
//! network contexts and amendments, guardian actions; and the small combinators over the weighted
//! tables of `pools` that every strategy uses. Scenarios (`scenario.rs`) and chaos (`chaos.rs`)
//! both draw from here; nothing here draws a scenario.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;

use super::episode::Grant;
use super::pools::{self, Chance};
use crate::fact::{
    CommandDecision, FileChangeDecision, FileSystemPermission, GuardianAction,
    NetworkApprovalContext, NetworkPermission, NetworkPolicyAmendment, PermissionProfile,
};

/// Every decision (DEC-1).
pub fn command_decision() -> impl Strategy<Value = CommandDecision> {
    prop_oneof![
        Just(CommandDecision::Accept),
        Just(CommandDecision::Decline),
        Just(CommandDecision::Cancel),
        Just(CommandDecision::AcceptForSession),
        vec(string(pools::EXECPOLICY_WORDS), 0..=2).prop_map(|execpolicy_amendment| {
            CommandDecision::AcceptWithExecpolicyAmendment {
                execpolicy_amendment,
            }
        }),
        network_policy_amendment().prop_map(|network_policy_amendment| {
            CommandDecision::ApplyNetworkPolicyAmendment {
                network_policy_amendment,
            }
        }),
    ]
}

/// Every decision (DEC-2).
pub fn file_change_decision() -> impl Strategy<Value = FileChangeDecision> {
    weighted(pools::FILE_CHANGE_DECISIONS)
}

/// An effective grant: empty about half the time, with either scope (GRANT-1..3).
pub fn grant() -> impl Strategy<Value = Grant> {
    let permissions =
        (flag(pools::GRANT_EMPTY), permission_profile()).prop_map(|(empty, profile)| {
            if empty {
                PermissionProfile::default()
            } else {
                profile
            }
        });
    (permissions, weighted(pools::GRANT_SCOPES))
        .prop_map(|(permissions, scope)| Grant { permissions, scope })
}

/// A permission profile: empty, network only (enabled, disabled or unset), file system only,
/// or both.
pub fn permission_profile() -> impl Strategy<Value = PermissionProfile> {
    let network = option::of(any::<bool>()).prop_map(|enabled| NetworkPermission { enabled });
    let file_system = (
        vec(string(pools::PATHS), 0..=2),
        vec(string(pools::PATHS), 0..=2),
    )
        .prop_map(|(read, write)| FileSystemPermission { read, write });
    (
        chance(pools::PROFILE_NETWORK, network),
        chance(pools::PROFILE_FILE_SYSTEM, file_system),
    )
        .prop_map(|(network, file_system)| PermissionProfile {
            network,
            file_system,
        })
}

pub(super) fn network_approval_context() -> impl Strategy<Value = NetworkApprovalContext> {
    (string(pools::HOSTS), string(pools::PROTOCOLS))
        .prop_map(|(host, protocol)| NetworkApprovalContext { host, protocol })
}

pub(super) fn network_policy_amendment() -> impl Strategy<Value = NetworkPolicyAmendment> {
    (
        string(pools::HOSTS),
        weighted(pools::NETWORK_POLICY_ACTIONS),
    )
        .prop_map(|(host, action)| NetworkPolicyAmendment { host, action })
}

/// Every guardian action (GUARD-1).
pub fn guardian_action() -> impl Strategy<Value = GuardianAction> {
    prop_oneof![
        string(pools::COMMANDS).prop_map(|command| GuardianAction::Command { command }),
        string(pools::PROGRAMS).prop_map(|program| GuardianAction::Execve { program }),
        vec(string(pools::PATHS), 0..=2).prop_map(|files| GuardianAction::ApplyPatch { files }),
        (string(pools::MCP_SERVERS), string(pools::MCP_TOOLS))
            .prop_map(|(server, tool_name)| GuardianAction::McpToolCall { server, tool_name }),
        (
            string(pools::HOSTS),
            string(pools::PROTOCOLS),
            option::of(select(pools::PORTS))
        )
            .prop_map(|(host, protocol, port)| GuardianAction::NetworkAccess {
                host,
                protocol,
                port
            }),
        permission_profile()
            .prop_map(|permissions| GuardianAction::RequestPermissions { permissions }),
    ]
}

pub(super) fn string(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    select(pool).prop_map(str::to_owned)
}

/// A value from a weighted table of `pools`.
pub(super) fn weighted<T: Copy + std::fmt::Debug + 'static>(
    table: &'static [(u32, T)],
) -> impl Strategy<Value = T> {
    Union::new_weighted(
        table
            .iter()
            .map(|(weight, value)| (*weight, Just(*value)))
            .collect(),
    )
}

/// `Some` with the given chance; shrinks to `None`.
pub(super) fn chance<S: Strategy>(chance: Chance, inner: S) -> option::OptionStrategy<S> {
    option::weighted(chance.probability(), inner)
}

/// `true` with the given chance; shrinks to `false`.
pub(super) fn flag(chance: Chance) -> proptest::bool::Weighted {
    proptest::bool::weighted(chance.probability())
}
