// Workspace Trust wording, in one place so the e2e tests can look for it.

/** The message shown when an action that runs code, writes files or uses the network is refused. */
export function untrustedMessage(action: string): string {
  return `${action} is disabled in this untrusted workspace: training, evaluation, generation, writing files and network access need Workspace Trust. Inspecting adapters and validating datasets still work.`;
}
