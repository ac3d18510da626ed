"""What the campaigns app holds about a supporter (signatures, marches, proposals, votes), for export and erasure.

Registered as a data source of ``supporters.privacy`` from ``CampaignsConfig.ready()``.
Erasure goes through each feature's own service, so counters stay right:
``campaigns.petitions.services.signatures_erase`` (an erased signature leaves
an open petition's count) and ``campaigns.marches.services.march_participation_erase``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaigns.marches.models import MarchAction, MarchLetter, MarchParticipant
from campaigns.marches.services import march_participation_erase
from campaigns.petitions.models import Signature
from campaigns.petitions.services import (
    signatures_erase,
    signatures_public_withdraw,
    signatures_updates_withdraw,
)
from campaigns.proposals.models import Proposal, ProposalVote
from supporters.emails import email_canonical
from supporters.models import Consent, Supporter
from supporters.privacy import DataSource, ErasureContext, data_source_register, rows, scrub_text

# A proposal others could see and vote on stays (without its author); one nobody saw is deleted.
PROPOSALS_KEPT = (Proposal.Status.PUBLISHED, Proposal.Status.ADOPTED)


def _signatures(supporter: Supporter) -> Any:
    return Signature.objects.filter(Q(supporter=supporter) | Q(email_canonical=email_canonical(supporter.email)))


def _export(supporter: Supporter) -> dict[str, list[dict[str, Any]]]:
    return {
        "petition_signatures": rows(
            _signatures(supporter).select_related("petition").order_by("created_at", "pk"),
            [
                "petition.title",
                "status",
                "name",
                "email",
                "country.code",
                "region",
                "postcode",
                "city",
                "comment",
                "public",
                "updates",
                "consent_version",
                "language",
                "source",
                "ip",
                "created_at",
                "confirmed_at",
            ],
        ),
        "march_registrations": rows(
            MarchParticipant.objects.filter(supporter=supporter).select_related("march", "target", "slot"),
            ["march.title", "name", "region", "language", "target", "call_at", "created_at"],
        ),
        "march_actions": rows(
            MarchAction.objects.filter(participant__supporter=supporter).select_related("march", "target"),
            ["march.title", "kind", "target", "outcome", "region", "created_at"],
        ),
        "march_letters": rows(
            MarchLetter.objects.filter(action__participant__supporter=supporter).select_related("march", "target"),
            ["march.title", "target", "subject", "body", "status", "created_at", "sent_at"],
        ),
        "proposals": rows(
            Proposal.objects.filter(supporter=supporter).select_related("round").order_by("created_at"),
            ["round.name", "title", "body", "language", "status", "vote_count", "decision_note", "created_at"],
        ),
        "proposal_votes": rows(
            ProposalVote.objects.filter(supporter=supporter).select_related("proposal", "round"),
            ["proposal.title", "round.name", "created_at"],
        ),
    }


def _erase(supporter: Supporter, context: ErasureContext) -> dict[str, int]:
    done = signatures_erase(
        supporter_id=supporter.pk, email_canonical="" if context.already_erased else context.canonical_email
    )
    done.update(march_participation_erase(supporter_id=supporter.pk, scrub=lambda text: scrub_text(text, context)))
    unpublished = Proposal.objects.filter(supporter=supporter).exclude(status__in=PROPOSALS_KEPT)
    done["unpublished_proposals_deleted"] = unpublished.count()
    unpublished.delete()
    done["published_proposals_kept"] = Proposal.objects.filter(supporter=supporter).count()
    done["votes_kept"] = ProposalVote.objects.filter(supporter=supporter).count()
    return done


def _consent_withdrawn(supporter: Supporter, topic: str) -> None:
    if topic == Consent.Topic.PUBLIC_DISPLAY:
        signatures_public_withdraw(supporter_id=supporter.pk)
    elif topic == Consent.Topic.EMAIL_UPDATES:
        signatures_updates_withdraw(supporter_id=supporter.pk)


def register() -> None:
    data_source_register(
        DataSource(
            name="campaigns",
            label=_("Petition signatures, marches, proposals and votes"),
            export=_export,
            erase=_erase,
            consent_withdrawn=_consent_withdrawn,
            kept=(
                (
                    _("That a petition delivered before you asked had your signature in its count."),
                    _("The count is a record of what was handed to the officials; your name is removed."),
                ),
                (
                    _("Your march registrations and calls, as numbers, and the letters you sent, without your name."),
                    _("They record what reached the officials, and the march's totals stay true."),
                ),
                (
                    _("Proposals of yours that were published, and your votes, attributed to no one."),
                    _("Other supporters voted on them and the rankings stay fair."),
                ),
            ),
            order=60,
        )
    )
