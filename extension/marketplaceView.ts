// The Marketplace view: registry → repository → version (tag), from the registries named in the
// `promptAdapter.registries` setting, filtered by a text, a base model and a task. A registry that needs
// credentials shows a "sign in" row; any other failure shows its message as a row, never a crash.
import * as vscode from 'vscode';
import { RegistryError } from '../core/registry/types.js';
import type { SearchResult } from '../core/registry/types.js';
import { MARKETPLACE_COMMANDS, MARKETPLACE_CONTEXT_VALUES, MARKETPLACE_SETTINGS } from './logic/ids.js';
import {
  filterDescription,
  groupByRepository,
  matchesFilter,
  parseRegistriesSetting,
  versionDescription,
} from './logic/marketplace.js';
import type {
  ConfiguredRegistry,
  MarketplaceFilter,
  RepositoryGroup,
  VersionEntry,
} from './logic/marketplace.js';

export type MarketplaceNode =
  | { readonly type: 'registry'; readonly registry: ConfiguredRegistry }
  | { readonly type: 'repository'; readonly registry: ConfiguredRegistry; readonly group: RepositoryGroup }
  | { readonly type: 'version'; readonly registry: ConfiguredRegistry; readonly version: VersionEntry }
  | {
      readonly type: 'message';
      readonly text: string;
      readonly detail?: string;
      readonly icon: string;
      readonly command?: vscode.Command;
    };

export function isMarketplaceNode(v: unknown): v is MarketplaceNode {
  return (
    typeof v === 'object' &&
    v !== null &&
    'type' in v &&
    ['registry', 'repository', 'version', 'message'].includes(String(v.type)) &&
    (v.type === 'message' || 'registry' in v)
  );
}

/** Lists what one registry holds for a filter (the registry client's search). */
export type SearchFn = (registry: ConfiguredRegistry, filter: MarketplaceFilter) => Promise<SearchResult[]>;

export function configuredRegistries(): { registries: ConfiguredRegistry[]; problems: string[] } {
  return parseRegistriesSetting(
    vscode.workspace.getConfiguration('promptAdapter').get<unknown>(MARKETPLACE_SETTINGS.registries, []),
  );
}

export class MarketplaceTree implements vscode.TreeDataProvider<MarketplaceNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<MarketplaceNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private filterState: MarketplaceFilter = {};
  /** What each registry listed last (by label), for the Filter quick pick. */
  private readonly lastListed = new Map<string, VersionEntry[]>();

  constructor(private readonly search: SearchFn) {}

  get filter(): MarketplaceFilter {
    return this.filterState;
  }

  setFilter(filter: MarketplaceFilter): void {
    this.filterState = filter;
    this.refresh();
  }

  /** Every version listed at the last refresh, across registries. */
  listedVersions(): VersionEntry[] {
    return [...this.lastListed.values()].flat();
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  filterLabel(): string {
    return filterDescription(this.filterState);
  }

  getTreeItem(node: MarketplaceNode): vscode.TreeItem {
    switch (node.type) {
      case 'registry': {
        const item = new vscode.TreeItem(node.registry.label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `registry:${node.registry.label}`;
        item.contextValue = MARKETPLACE_CONTEXT_VALUES.registry;
        item.iconPath = new vscode.ThemeIcon(node.registry.address.kind === 'hf' ? 'cloud' : 'server');
        item.description = node.registry.description;
        return item;
      }
      case 'repository': {
        const n = node.group.versions.length;
        const item = new vscode.TreeItem(node.group.repository, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `repository:${node.registry.label}/${node.group.repository}`;
        item.contextValue = MARKETPLACE_CONTEXT_VALUES.repository;
        item.iconPath = new vscode.ThemeIcon('package');
        item.description = `${n} version${n === 1 ? '' : 's'}`;
        return item;
      }
      case 'version': {
        const v = node.version;
        const item = new vscode.TreeItem(v.tag, vscode.TreeItemCollapsibleState.None);
        item.id = `version:${node.registry.label}/${v.repository}:${v.tag}`;
        item.contextValue = MARKETPLACE_CONTEXT_VALUES.version;
        item.iconPath = new vscode.ThemeIcon('tag');
        item.description = versionDescription(v.annotations);
        const tooltip = new vscode.MarkdownString();
        tooltip.appendText(`${v.repository}:${v.tag}\n${v.digest}\n`);
        if (v.meta?.description !== undefined) tooltip.appendText(`\n${v.meta.description}`);
        item.tooltip = tooltip;
        item.command = {
          command: MARKETPLACE_COMMANDS.showDetails,
          title: 'Show Details',
          arguments: [node],
        };
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.contextValue = MARKETPLACE_CONTEXT_VALUES.message;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        if (node.detail !== undefined) item.tooltip = node.detail;
        if (node.command !== undefined) item.command = node.command;
        return item;
      }
    }
  }

  async getChildren(node?: MarketplaceNode): Promise<MarketplaceNode[]> {
    if (node === undefined) {
      const { registries, problems } = configuredRegistries();
      return [
        ...problems.map((p) => ({ type: 'message' as const, text: p, icon: 'warning' })),
        ...registries.map((registry) => ({ type: 'registry' as const, registry })),
      ];
    }
    switch (node.type) {
      case 'registry':
        return this.registryChildren(node.registry);
      case 'repository':
        return node.group.versions.map((version) => ({
          type: 'version' as const,
          registry: node.registry,
          version,
        }));
      case 'version':
      case 'message':
        return [];
    }
  }

  private async registryChildren(registry: ConfiguredRegistry): Promise<MarketplaceNode[]> {
    let results: SearchResult[];
    try {
      results = await this.search(registry, this.filterState);
    } catch (e) {
      this.lastListed.delete(registry.label);
      const message = e instanceof Error ? e.message : String(e);
      if (e instanceof RegistryError && (e.code === 'UNAUTHORIZED' || e.code === 'DENIED')) {
        return [
          {
            type: 'message',
            text: 'Sign in to list this registry…',
            detail: message,
            icon: 'account',
            command: {
              command: MARKETPLACE_COMMANDS.signIn,
              title: 'Sign In to Registry…',
              arguments: [{ type: 'registry', registry }],
            },
          },
        ];
      }
      return [{ type: 'message', text: message, detail: message, icon: 'error' }];
    }
    const groups = groupByRepository(results)
      .map((g) => ({ ...g, versions: g.versions.filter((v) => matchesFilter(v, this.filterState)) }))
      .filter((g) => g.versions.length > 0);
    this.lastListed.set(
      registry.label,
      groups.flatMap((g) => [...g.versions]),
    );
    if (groups.length === 0) {
      return [
        {
          type: 'message',
          text: this.filterLabel() === '' ? 'No adapters yet' : `No adapter matches ${this.filterLabel()}`,
          icon: 'info',
        },
      ];
    }
    return groups.map((group) => ({ type: 'repository' as const, registry, group }));
  }

  dispose(): void {
    this.changed.dispose();
  }
}
