//! The values facts carry: client and runtime metadata, item kinds and statuses, permission
//! profiles, network policy amendments, decisions, and guardian statuses and actions.

use arbitrary::Arbitrary;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Client metadata announced by `initialize`, copied verbatim onto events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct AppServerClient {
    /// The product the client is (`codex_vscode`, ...); a thread's originator replaces it on the
    /// thread's events (CTX-4). Absent or null: unknown.
    #[serde(default)]
    pub product_client_id: Option<String>,
    /// The client's name as it announced it; absent or null: unknown.
    #[serde(default)]
    pub client_name: Option<String>,
    /// The client's version as it announced it; absent or null: unknown.
    #[serde(default)]
    pub client_version: Option<String>,
    /// How the client talks to the app-server; absent or null: unknown.
    #[serde(default)]
    pub rpc_transport: Option<RpcTransport>,
    /// Whether the client opted into the experimental API; absent or null: unknown.
    #[serde(default)]
    pub experimental_api_enabled: Option<bool>,
}

/// How the client talks to the app-server.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum RpcTransport {
    /// JSON-RPC over the app-server process's standard input and output.
    Stdio,
    /// JSON-RPC over a WebSocket connection.
    Websocket,
    /// An app-server embedded in the client's own process.
    InProcess,
}

/// Runtime metadata announced by `initialize`, copied verbatim onto events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct Runtime {
    /// The version of `codex-rs` that runs the app-server; absent or null: unknown.
    #[serde(default)]
    pub codex_rs_version: Option<String>,
    /// The operating system it runs on; absent or null: unknown.
    #[serde(default)]
    pub runtime_os: Option<String>,
    /// The operating system's version; absent or null: unknown.
    #[serde(default)]
    pub runtime_os_version: Option<String>,
    /// The CPU architecture it runs on; absent or null: unknown.
    #[serde(default)]
    pub runtime_arch: Option<String>,
}

/// How a thread came to be bound to a connection.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum ThreadBinding {
    /// The connection started a new thread.
    Started,
    /// The connection resumed an existing thread.
    Resumed,
    /// The connection forked a thread into a new one.
    Forked,
}

/// The tool item kinds that emit a terminal tool-item event (ITEM-1).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A shell command; emits `codex_command_execution_event`.
    CommandExecution,
    /// A patch applied to files; emits `codex_file_change_event`.
    FileChange,
    /// A call to an MCP server's tool; emits `codex_mcp_tool_call_event`.
    McpToolCall,
    /// A call to a tool the client registered at run time; emits
    /// `codex_dynamic_tool_call_event`.
    DynamicToolCall,
    /// A call to another agent; emits `codex_collab_agent_tool_call_event`.
    CollabAgentToolCall,
    /// A web search; emits `codex_web_search_event`.
    WebSearch,
    /// An image generation; emits `codex_image_generation_event`.
    ImageGeneration,
}

/// The status an item-completed notification carries.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// The tool ran to completion: terminal status `completed` (ITEM-4).
    Completed,
    /// The tool failed: terminal status `failed`, failure kind `tool_error` (ITEM-4).
    Failed,
    /// The tool was not run because its approval was denied: `rejected`/`approval_denied`.
    Declined,
    /// Not terminal: the completion changes nothing (ITEM-5).
    InProgress,
}

/// A requested or granted permission profile. It is *empty* when both parts are absent (GRANT-3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct PermissionProfile {
    /// Network access; absent or null: the profile says nothing of the network.
    #[serde(default)]
    pub network: Option<NetworkPermission>,
    /// File-system access; absent or null: the profile says nothing of files.
    #[serde(default)]
    pub file_system: Option<FileSystemPermission>,
}

/// The network part of a permission profile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct NetworkPermission {
    /// Whether network access is on; only `true` requests it (SUBJ-3, SUBJ-5), and even `false`
    /// makes the profile non-empty (GRANT-3).
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// The file-system part of a permission profile: paths readable and writable.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct FileSystemPermission {
    /// Paths readable; absent: none.
    #[serde(default)]
    pub read: Vec<String>,
    /// Paths writable; absent: none.
    #[serde(default)]
    pub write: Vec<String>,
}

/// The scope of a permissions grant.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum GrantScope {
    /// For the rest of the turn: a non-empty grant resolves as `none` (GRANT-2).
    Turn,
    /// For the rest of the session: a non-empty grant resolves as `session_approval` (GRANT-2).
    Session,
}

/// The network target of a command-execution request that is really a network access request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct NetworkApprovalContext {
    /// The host the command wants to reach.
    pub host: String,
    /// The protocol it wants to use (`https`, ...).
    pub protocol: String,
}

/// A proposed or applied change to the network policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct NetworkPolicyAmendment {
    /// The host the change is about.
    pub host: String,
    /// Whether the change allows or denies the host.
    pub action: NetworkPolicyAction,
}

/// Whether a network policy amendment allows or denies its host.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum NetworkPolicyAction {
    /// The host is allowed: an applied amendment approves (DEC-1).
    Allow,
    /// The host is denied: an applied amendment denies (DEC-1).
    Deny,
}

/// A client's decision on a command-execution approval (DEC-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(tag = "decision", rename_all = "snake_case", deny_unknown_fields)]
pub enum CommandDecision {
    /// Run the command this once: approved/none.
    Accept,
    /// Do not run it: denied/none.
    Decline,
    /// Cancel the request: aborted/none.
    Cancel,
    /// Run it, and commands like it for the rest of the session: approved/session_approval.
    AcceptForSession,
    /// Run it and amend the exec policy to allow it: approved/exec_policy_amendment.
    AcceptWithExecpolicyAmendment {
        /// The command, word by word, that the amended exec policy allows.
        execpolicy_amendment: Vec<String>,
    },
    /// Apply a network policy amendment: approved or denied by its action, resolution
    /// network_policy_amendment.
    ApplyNetworkPolicyAmendment {
        /// The amendment applied; its action decides the status.
        network_policy_amendment: NetworkPolicyAmendment,
    },
}

/// A client's decision on a file-change approval (DEC-2).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum FileChangeDecision {
    /// Apply the patch: approved/none.
    Accept,
    /// Do not apply it: denied/none.
    Decline,
    /// Cancel the request: aborted/none.
    Cancel,
    /// Apply it, and patches like it for the rest of the session: approved/session_approval.
    AcceptForSession,
}

/// The status a guardian review completion carries (GUARD-3, GUARD-4).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Arbitrary,
)]
#[serde(rename_all = "snake_case")]
pub enum GuardianStatus {
    /// The guardian approved the action: review status `approved`.
    Approved,
    /// The guardian denied the action: review status `denied`.
    Denied,
    /// The guardian gave no verdict in time: review status `timed_out`.
    TimedOut,
    /// The guardian review was aborted: review status `aborted`.
    Aborted,
    /// Not terminal: the completion completes nothing (GUARD-4).
    InProgress,
}

/// The action a guardian reviewed (GUARD-1, GUARD-2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Arbitrary)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum GuardianAction {
    /// A shell command: subject `command_execution`, trigger `initial`.
    Command {
        /// The command line reviewed.
        command: String,
    },
    /// An intercepted `execve`: subject `command_execution`, trigger `execve_intercept`.
    Execve {
        /// The program to be executed.
        program: String,
    },
    /// A patch escaping the sandbox: subject `file_change`, trigger `sandbox_denial`.
    ApplyPatch {
        /// The files the patch touches; absent: none listed.
        #[serde(default)]
        files: Vec<String>,
    },
    /// A call to an MCP tool: subject `mcp_tool_call`, named by the tool.
    McpToolCall {
        /// The MCP server that provides the tool.
        server: String,
        /// The tool called, the review's `subject_name` (GUARD-1).
        tool_name: String,
    },
    /// Network access: subject `network_access`, trigger `network_policy_denial`.
    NetworkAccess {
        /// The host to be reached.
        host: String,
        /// The protocol to be used (`https`, ...).
        protocol: String,
        /// The port to be reached; absent or null: unspecified.
        #[serde(default)]
        port: Option<u16>,
    },
    /// A permissions request: subject `permissions`, trigger and flags as SUBJ-5.
    RequestPermissions {
        /// The permissions asked for.
        permissions: PermissionProfile,
    },
}
