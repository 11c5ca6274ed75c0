"""The form a superuser without a librarian profile uses to give themselves one."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from refdesk.campuses.models import Campus
from refdesk.core.errors import ActionError
from refdesk.core.text import clean_text


class OwnProfileForm(forms.Form):
    """Home campus (the first one preselected) and display name (blank: the username,
    capitalised)."""

    campus = forms.ChoiceField(label="Home campus")
    display_name = forms.CharField(label="Display name", required=False)

    def __init__(self, *args: Any, campuses: list[Campus], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campuses = {campus.slug: campus for campus in campuses}
        field = cast(forms.ChoiceField, self.fields["campus"])
        field.choices = [(campus.slug, f"{campus.name} ({campus.slug})") for campus in campuses]
        if campuses:
            field.initial = campuses[0].slug

    def clean_display_name(self) -> str:
        try:
            return clean_text(
                self.cleaned_data.get("display_name", ""),
                field="display name",
                max_chars=80,
                multiline=False,
            )
        except ActionError as exc:
            raise forms.ValidationError(exc.message) from exc

    def chosen_campus(self) -> Campus:
        """The campus chosen (call after ``is_valid``)."""
        return self.campuses[self.cleaned_data["campus"]]
