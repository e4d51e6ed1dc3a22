"""Two-person approval for policy changes that touch quotas, caps, windows and budgets.

In `production` mode the policy store's gate holds any reload whose diff has a governed
line (see `policy_diff`): the candidate becomes a *proposal* and the old snapshot keeps
serving. Two approvals from two distinct keys, neither the proposer, apply it. Other
changes apply directly. In `development` mode everything applies directly.

Restart safety: the last applied policy's file texts (the *baseline*) and every proposal
(with its candidate's texts) are persisted as one document of the store's Documents seam
(the embedded default: data_dir/governance.json, its format unchanged). On a production
start whose files differ from the baseline in a governed way, the baseline is served and
the files become a proposal, so a restart is no way around approval.

Audit records are appended synchronously from the gate (policy reloads are rare; this
keeps them durable before the reload request is answered).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from symphony.audit.sink import AuditSink
from symphony.clock import Clock
from symphony.errors import ConflictError, ForbiddenError, NotFoundError, PolicyError, StoreError
from symphony.events.facts import Fact, PolicyProposal
from symphony.governance.policy_diff import diff_snapshots
from symphony.policy.loader import load_policy
from symphony.policy.model import PolicySnapshot
from symphony.policy.store import PolicyStore
from symphony.security.keys import ApiKey
from symphony.store.documents import Documents
from symphony.store.json_files import JsonFiles

GOVERNANCE_KEY = "governance"  # the document; data_dir/governance.json in the file backend
GOVERNANCE_FILE = GOVERNANCE_KEY + ".json"
APPROVALS_NEEDED = 2
WATCHER = "watcher"
MAX_KEPT = 200  # closed proposals kept in the file (pending ones are always kept)

ProposalStatus = Literal["pending", "applied", "superseded"]

# The API key (name, id) of the request being served; the auth middleware sets it so the
# gate knows who called POST /policy/reload. Unset (None) for the file watcher.
current_actor: ContextVar[tuple[str, str] | None] = ContextVar("current_actor", default=None)


@dataclass(frozen=True, slots=True)
class PolicyTexts:
    policy: str
    windows: str | None
    policy_name: str
    windows_name: str

    def load(self) -> PolicySnapshot:
        return load_policy(
            self.policy.encode(),
            policy_name=self.policy_name,
            windows_text=None if self.windows is None else self.windows.encode(),
            windows_name=self.windows_name,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "windows": self.windows,
            "policy_name": self.policy_name,
            "windows_name": self.windows_name,
        }


@dataclass(slots=True)
class Proposal:
    id: str
    created_at: str
    proposer: str
    proposer_key_id: str | None
    trigger: str
    base_version: str
    candidate_version: str
    diff: list[str]
    governed: list[str]
    seq: int = 0  # creation order (instants can tie)
    status: ProposalStatus = "pending"
    approvals: list[dict[str, str]] = field(default_factory=list)
    closed_at: str | None = None
    note: str | None = None
    texts: PolicyTexts | None = None

    def to_dict(self, *, texts: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "seq": self.seq,
            "status": self.status,
            "created_at": self.created_at,
            "proposer": self.proposer,
            "trigger": self.trigger,
            "base_version": self.base_version,
            "candidate_version": self.candidate_version,
            "approvals": list(self.approvals),
            "approvals_needed": APPROVALS_NEEDED,
            "diff": list(self.diff),
            "governed": list(self.governed),
            "closed_at": self.closed_at,
            "note": self.note,
        }
        if texts:
            body["proposer_key_id"] = self.proposer_key_id
            body["texts"] = None if self.texts is None else self.texts.to_dict()
        return body


Publish = Callable[[Fact], Any]
OnApplied = Callable[[PolicySnapshot, PolicySnapshot, str, str | None], None]


class Governance:
    """The policy store's gate, proposals and approvals."""

    def __init__(
        self,
        docs: Documents,
        store: PolicyStore,
        clock: Clock,
        *,
        mode: str,
        audit: AuditSink,
        publish: Publish,
        on_applied: OnApplied,
    ) -> None:
        self._docs = docs
        self.where = f"{docs.where} ({GOVERNANCE_KEY})"
        self.store = store
        self.clock = clock
        self.mode = mode
        self.audit = audit
        self.publish = publish
        # Called after governance itself applies a snapshot (approval, restart hold).
        self.on_applied = on_applied
        self.proposals: dict[str, Proposal] = {}
        self.baseline: PolicyTexts | None = None
        self._candidates: dict[str, PolicySnapshot] = {}
        self._load()

    @classmethod
    def open(
        cls,
        data_dir: Path,
        store: PolicyStore,
        clock: Clock,
        *,
        mode: str,
        audit: AuditSink,
        publish: Publish,
        on_applied: OnApplied,
    ) -> Governance:
        """Governance persisted in data_dir/governance.json, the embedded default."""
        return cls(
            JsonFiles(data_dir),
            store,
            clock,
            mode=mode,
            audit=audit,
            publish=publish,
            on_applied=on_applied,
        )

    @property
    def production(self) -> bool:
        return self.mode == "production"

    # --- the gate --------------------------------------------------------------------------

    def gate(self, current: PolicySnapshot, candidate: PolicySnapshot) -> bool:
        """PolicyStore hook: True applies `candidate` now; False holds it as a proposal."""
        texts = self._texts_for(candidate)
        lines = diff_snapshots(current, candidate)
        governed = [str(line) for line in lines if line.governed]
        if not self.production or not governed:
            self._accept(texts, f"policy {candidate.version} applied directly")
            return True
        for proposal in self.proposals.values():
            same = proposal.candidate_version == candidate.version
            if proposal.status == "pending" and same and proposal.base_version == current.version:
                return False  # the same change again (editor saves twice): one proposal
        actor = current_actor.get()
        self._supersede(f"replaced by a newer change ({candidate.version})")
        proposal = Proposal(
            id="prop_" + secrets.token_urlsafe(9),
            created_at=self.clock.now().isoformat(),
            proposer=actor[0] if actor else WATCHER,
            proposer_key_id=actor[1] if actor else None,
            trigger="api" if actor else WATCHER,
            base_version=current.version,
            candidate_version=candidate.version,
            diff=[str(line) for line in lines],
            governed=governed,
            seq=max((p.seq for p in self.proposals.values()), default=0) + 1,
            texts=texts,
        )
        self.proposals[proposal.id] = proposal
        self._candidates[proposal.id] = candidate
        self._save()
        self._audit_sync("policy.propose", proposal)
        self.publish(PolicyProposal(**_event(proposal)))
        return False

    def files_match_active(self) -> None:
        """The files equal the active policy again: pending proposals are moot."""
        self._supersede("the policy files match the active policy again")

    # --- approval --------------------------------------------------------------------------

    async def approve(self, proposal_id: str, key: ApiKey) -> Proposal:
        """Record `key`'s approval; the second distinct approval applies the candidate."""
        proposal = self.get(proposal_id)
        if proposal.status != "pending":
            raise ConflictError(f"proposal {proposal_id} is {proposal.status}, not pending")
        if key.id == proposal.proposer_key_id or key.name == proposal.proposer:
            raise ForbiddenError(
                f"key '{key.name}' proposed {proposal_id}; the proposer cannot approve it"
            )
        if any(a["key_id"] == key.id or a["actor"] == key.name for a in proposal.approvals):
            raise ConflictError(f"key '{key.name}' already approved {proposal_id}")
        current = self.store.snapshot
        if current.version != proposal.base_version:
            self._close(proposal, "superseded", "the active policy changed since it was proposed")
            self._save()
            await self.audit.append("policy.supersede", _event(proposal), actor=key.name)
            raise ConflictError(
                f"proposal {proposal_id} was made against policy {proposal.base_version} but "
                f"{current.version} is active now; it is superseded (reload to propose again)"
            )
        candidate = self._candidate(proposal)  # before any change: a broken one fails cleanly
        now = self.clock.now().isoformat()
        proposal.approvals.append({"actor": key.name, "key_id": key.id, "at": now})
        applied = len(proposal.approvals) >= APPROVALS_NEEDED
        if applied:
            self.store.apply(candidate)
            self._close(proposal, "applied", f"approved by {len(proposal.approvals)} keys")
            self.baseline = proposal.texts or self.baseline
        self._save()
        payload = {**_event(proposal), "approver": key.name}
        await self.audit.append("policy.approve", payload, actor=key.name)
        if applied:
            self.on_applied(current, candidate, f"approval:{proposal.id}", key.name)
        self.publish(PolicyProposal(**_event(proposal)))
        return proposal

    def get(self, proposal_id: str) -> Proposal:
        proposal = self.proposals.get(proposal_id)
        if proposal is None:
            raise NotFoundError(f"no policy proposal '{proposal_id}'")
        return proposal

    def list(self, status: str | None = None) -> list[Proposal]:
        """Proposals newest first, optionally only those with `status`."""
        items = sorted(self.proposals.values(), key=lambda p: (p.created_at, p.seq), reverse=True)
        return [p for p in items if status is None or p.status == status]

    # --- start-up --------------------------------------------------------------------------

    def startup(self) -> None:
        """Reconcile the files with the persisted baseline (see the module docstring)."""
        current = self.store.snapshot
        texts = self._texts_for(current)
        base = self.baseline
        if self.production and base is not None and texts != base:
            try:
                served = self._transform(base.load())
            except PolicyError:
                served = None  # an unreadable baseline cannot be served: trust the files
            if served is not None and served.version != current.version:
                lines = diff_snapshots(served, current)
                if any(line.governed for line in lines):
                    self.store.apply(served)
                    self.on_applied(current, served, "startup:baseline", None)
                    if not self.gate(served, current):
                        return
        self._accept(texts, None)

    # --- internals -------------------------------------------------------------------------

    def _accept(self, texts: PolicyTexts | None, reason: str | None) -> None:
        if reason is not None:
            self._supersede(reason)
        if texts is not None and texts != self.baseline:
            self.baseline = texts
            self._save()

    def _supersede(self, reason: str) -> None:
        changed = [p for p in self.proposals.values() if p.status == "pending"]
        for proposal in changed:
            self._close(proposal, "superseded", reason)
            self._audit_sync("policy.supersede", proposal)
        if changed:
            self._save()

    def _close(self, proposal: Proposal, status: ProposalStatus, note: str) -> None:
        proposal.status = status
        proposal.note = note
        proposal.closed_at = self.clock.now().isoformat()
        self._candidates.pop(proposal.id, None)

    def _candidate(self, proposal: Proposal) -> PolicySnapshot:
        found = self._candidates.get(proposal.id)
        if found is not None:
            return found
        if proposal.texts is None:
            raise ConflictError(f"proposal {proposal.id} has no stored policy text; reload again")
        snapshot = self._transform(proposal.texts.load())
        if snapshot.version != proposal.candidate_version:
            raise ConflictError(f"proposal {proposal.id}: stored policy text does not match")
        return snapshot

    def _transform(self, snapshot: PolicySnapshot) -> PolicySnapshot:
        transform = self.store.transform
        return transform(snapshot) if transform is not None else snapshot

    def _texts_for(self, snapshot: PolicySnapshot) -> PolicyTexts | None:
        """The current file texts, if they are exactly what `snapshot` was built from."""
        windows_file = self.store.windows_file
        try:
            ptext = self.store.policy_file.read_text(encoding="utf-8")
            wtext = None
            if windows_file is not None and windows_file.is_file():
                wtext = windows_file.read_text(encoding="utf-8")
            texts = PolicyTexts(ptext, wtext, str(self.store.policy_file), str(windows_file))
            if texts.load().version == snapshot.version:
                return texts
        except (OSError, UnicodeDecodeError, PolicyError):
            pass
        return None  # the files moved on meanwhile: the next reload catches up

    def _audit_sync(self, type: str, proposal: Proposal) -> None:
        actor = proposal.proposer if type == "policy.propose" else None
        self.audit.append_sync(type, _event(proposal), actor=actor)

    def _load(self) -> None:
        doc = self._docs.get_sync(GOVERNANCE_KEY)
        if doc is None:
            return
        raw = doc.value
        if not isinstance(raw, dict):
            raise StoreError(f"cannot read {self.where}: not a JSON object; fix or remove it")
        base = raw.get("baseline")
        self.baseline = None if base is None else PolicyTexts(**base)
        for item in raw.get("proposals", []):
            texts = item.pop("texts", None)
            item.pop("approvals_needed", None)
            proposal = Proposal(**item, texts=None if texts is None else PolicyTexts(**texts))
            self.proposals[proposal.id] = proposal

    def _save(self) -> None:
        kept = self.list()
        closed = [p for p in kept if p.status != "pending"][MAX_KEPT:]
        for proposal in closed:
            del self.proposals[proposal.id]
        body = {
            "baseline": None if self.baseline is None else self.baseline.to_dict(),
            "proposals": [p.to_dict(texts=True) for p in self.list()],
        }
        self._docs.put_sync(GOVERNANCE_KEY, body)


def _event(proposal: Proposal) -> dict[str, Any]:
    """The audit/event payload: who, what, status (the diff capped for size)."""
    return {
        "proposal_id": proposal.id,
        "status": proposal.status,
        "proposer": proposal.proposer,
        "base_version": proposal.base_version,
        "candidate_version": proposal.candidate_version,
        "approvals": [a["actor"] for a in proposal.approvals],
        "governed": proposal.governed[:50],
        "note": proposal.note,
    }
