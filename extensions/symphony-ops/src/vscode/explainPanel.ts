/** The Explain Route webview panel: one panel, re-rendered with a fresh nonce each time. */

import * as vscode from "vscode";
import { makeNonce, renderExplainHtml } from "../core/explainHtml";
import type { ExplainView } from "../core/ports";
import type { Plan, PlanBody } from "../core/types";

interface Shown {
  plan: Plan;
  request: PlanBody;
}

export class ExplainPanel implements ExplainView, vscode.Disposable {
  private panel: vscode.WebviewPanel | null = null;
  private shown: Shown | null = null;

  constructor(
    private readonly replan: (request: PlanBody) => void,
    private readonly openJson: (plan: Plan) => void,
    private readonly copy: (text: string) => void,
  ) {}

  show(plan: Plan, request: PlanBody, options: { note?: string; noEligible?: string } = {}): void {
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel("symphonyExplain", "Explain Route", vscode.ViewColumn.Beside, {
        enableScripts: true, // only the nonce'd inline script may run (see the CSP)
        localResourceRoots: [],
        retainContextWhenHidden: false,
      });
      this.panel.onDidDispose(() => {
        this.panel = null;
      });
      this.panel.webview.onDidReceiveMessage((message: { type?: string; text?: string }) => this.onMessage(message));
    }
    this.shown = { plan, request };
    const title = plan.decision.primary ? `Explain: ${plan.decision.primary.model}` : "Explain: no eligible model";
    this.panel.title = title;
    this.panel.webview.html = renderExplainHtml(plan, {
      nonce: makeNonce(),
      cspSource: this.panel.webview.cspSource,
      request,
      ...options,
    });
    this.panel.reveal(vscode.ViewColumn.Beside, true);
  }

  private onMessage(message: { type?: string; text?: string }): void {
    if (!this.shown) return;
    if (message.type === "replan") this.replan(this.shown.request);
    else if (message.type === "json") this.openJson(this.shown.plan);
    else if (message.type === "copy" && typeof message.text === "string" && message.text) this.copy(message.text);
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
