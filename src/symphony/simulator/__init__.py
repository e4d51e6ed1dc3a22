"""Protocol-faithful fake LLM upstreams with real rate-limit headers and fault injection.

One aiohttp server, one port; the path prefix selects the wire protocol. Point clients at:

- OpenAI-compatible (OpenAI, xAI, Perplexity, DeepSeek, Venice, LiteLLM): `<base>/openai/v1`
- Ollama's OpenAI-compatible surface: `<base>/ollama/v1` (health: `GET <base>/ollama/api/tags`)
- Anthropic: `<base>/anthropic` (the client appends `/v1/messages`)
- Gemini: `<base>/gemini/v1beta` (`/models/{model}:generateContent`, `:streamGenerateContent`)

The request's `model` picks a simulated model from the config (see `config/simulator.yml`);
an unknown model gets the protocol's own 404. Control surface (used by tests):
`POST /_sim/faults`, `GET|DELETE /_sim/faults`, `GET /_sim/state`, `POST /_sim/reset`,
`POST /_sim/advance {"seconds": n}` (move the window clock without sleeping).
"""

from symphony.simulator.app import build_simulator_app
from symphony.simulator.config import (
    DEFAULT_CONFIG,
    SimModel,
    SimulatorConfig,
    SimulatorConfigError,
    config_from_mapping,
    load_simulator_config,
)
from symphony.simulator.server import RunningSimulator, run_simulator, start_simulator

__all__ = [
    "DEFAULT_CONFIG",
    "RunningSimulator",
    "SimModel",
    "SimulatorConfig",
    "SimulatorConfigError",
    "build_simulator_app",
    "config_from_mapping",
    "load_simulator_config",
    "run_simulator",
    "start_simulator",
]
