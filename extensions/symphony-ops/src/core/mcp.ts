/** What the extension tells VS Code about Symphony's MCP server (Streamable HTTP at /mcp/). */

import { joinUrl } from "./api";

export interface McpDefinitionData {
  label: string;
  url: string;
  headers: Record<string, string>;
  version: string;
}

/** The server definition for Copilot, or null when MCP is turned off in the settings. */
export function mcpDefinition(
  baseUrl: string,
  key: string | undefined,
  enabled: boolean,
  version: string,
): McpDefinitionData | null {
  if (!enabled) return null;
  const headers: Record<string, string> = {};
  if (key) headers.Authorization = `Bearer ${key}`;
  return { label: "Symphony", url: joinUrl(baseUrl, "/mcp/"), headers, version };
}

/** The `.vscode/mcp.json` a user writes by hand for the same server (key asked once, kept secret). */
export function mcpJsonExample(baseUrl: string): string {
  return JSON.stringify(
    {
      inputs: [
        { type: "promptString", id: "symphony-key", description: "Symphony API key", password: true },
      ],
      servers: {
        symphony: {
          type: "http",
          url: joinUrl(baseUrl, "/mcp/"),
          headers: { Authorization: "Bearer ${input:symphony-key}" },
        },
      },
    },
    null,
    2,
  );
}
