/** The Model Matrix tree view and the status bar item, drawn from core/live.ts. */

import * as vscode from "vscode";
import type { Live } from "../core/live";
import type { MatrixNode } from "../core/matrix";
import { statusView } from "../core/status";

export class MatrixTreeProvider implements vscode.TreeDataProvider<MatrixNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<MatrixNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private ticker: NodeJS.Timeout | null = null;
  private disposed = false;
  visible = true;

  constructor(private readonly live: Live) {}

  /** Redraw; while visible and something counts down, tick every second. */
  refresh(): void {
    this.changed.fire(undefined);
    this.updateTicker();
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    this.updateTicker();
  }

  private updateTicker(): void {
    // After dispose a late refresh must not start a new interval (it would outlive the extension).
    const want = !this.disposed && this.visible && this.live.matrix.hasCountdown();
    if (want && !this.ticker) this.ticker = setInterval(() => this.changed.fire(undefined), 1000);
    if (!want && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
  }

  getTreeItem(node: MatrixNode): vscode.TreeItem {
    const item = new vscode.TreeItem(
      node.label,
      node.children.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = node.id;
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.contextValue = node.context;
    item.iconPath = new vscode.ThemeIcon(node.icon, node.color ? new vscode.ThemeColor(node.color) : undefined);
    return item;
  }

  getChildren(node?: MatrixNode): MatrixNode[] {
    if (node) return node.children;
    const nodes = this.live.matrix.nodes(Date.now());
    if (this.live.matrix.error && !nodes.length) return []; // the welcome view explains what to do
    return nodes;
  }

  dispose(): void {
    this.disposed = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.changed.dispose();
  }
}

export function updateStatusBar(item: vscode.StatusBarItem, live: Live): void {
  const view = statusView(live.status());
  item.text = view.text;
  item.tooltip = view.tooltip;
  item.command = view.command;
  item.backgroundColor =
    view.severity === "error"
      ? new vscode.ThemeColor("statusBarItem.errorBackground")
      : view.severity === "warning"
        ? new vscode.ThemeColor("statusBarItem.warningBackground")
        : undefined;
  item.show();
}
