// Files through vscode.workspace.fs (works for every file system provider), written atomically: the bytes
// go to a temporary sibling which is then renamed over the target, so a crash or a full disk never leaves a
// half-written dataset or adapter behind (CONVENTIONS.md, habit 5).
import * as vscode from 'vscode';

function tempSibling(target: vscode.Uri): vscode.Uri {
  const name = target.path.slice(target.path.lastIndexOf('/') + 1);
  const random = Math.random().toString(36).slice(2, 10);
  return vscode.Uri.joinPath(target, '..', `.${name}.${random}.tmp`);
}

export async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

export async function writeFileAtomic(target: vscode.Uri, bytes: Uint8Array): Promise<void> {
  const temp = tempSibling(target);
  await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(target, '..'));
  try {
    await vscode.workspace.fs.writeFile(temp, bytes);
    await vscode.workspace.fs.rename(temp, target, { overwrite: true });
  } catch (e) {
    await vscode.workspace.fs.delete(temp).then(undefined, () => undefined);
    throw e;
  }
}

export async function writeTextAtomic(target: vscode.Uri, text: string): Promise<void> {
  await writeFileAtomic(target, new TextEncoder().encode(text));
}

/**
 * Writes a folder of files (an adapter) as a whole: into a temporary sibling folder, then renamed into
 * place. An existing folder is moved aside first and deleted only after the new one is in place.
 */
export async function writeFolderAtomic(
  target: vscode.Uri,
  files: readonly { readonly name: string; readonly bytes: Uint8Array }[],
): Promise<void> {
  for (const f of files) {
    if (f.name === '' || f.name.includes('/') || f.name.includes('\\') || f.name === '.' || f.name === '..') {
      throw new Error(
        `refusing to write "${f.name}": adapter files are plain names inside the adapter folder`,
      );
    }
  }
  const temp = tempSibling(target);
  await vscode.workspace.fs.createDirectory(temp);
  try {
    for (const f of files) await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(temp, f.name), f.bytes);
    const old = (await exists(target)) ? tempSibling(target) : undefined;
    if (old !== undefined) await vscode.workspace.fs.rename(target, old);
    await vscode.workspace.fs.rename(temp, target);
    if (old !== undefined) await vscode.workspace.fs.delete(old, { recursive: true });
  } catch (e) {
    await vscode.workspace.fs.delete(temp, { recursive: true }).then(undefined, () => undefined);
    throw e;
  }
}

export async function readText(uri: vscode.Uri): Promise<string> {
  // An open document may hold unsaved edits: validate what the user sees.
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open !== undefined) return open.getText();
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

export async function readJson(uri: vscode.Uri): Promise<unknown> {
  const text = await readText(uri);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`${uri.fsPath}: not valid JSON (${e instanceof Error ? e.message : String(e)})`, {
      cause: e,
    });
  }
}
