"""The reference-interview card's questions in the admin: an admin adds, changes and
removes them through the actions, every change audited; bad input is a form error with
nothing written; supervisors read; librarians are sent to the admin's login."""

from __future__ import annotations

import pytest
from django.test import Client

from refdesk.accounts.models import Librarian
from refdesk.chats.actions import do_add_interview_question
from refdesk.chats.models import InterviewQuestion
from tests.admin.support import audit_rows, errors_of

LIST = "/admin/chats/interviewquestion/"
ADD = f"{LIST}add/"


def change_url(question: InterviewQuestion) -> str:
    return f"{LIST}{question.pk}/change/"


def delete_url(question: InterviewQuestion) -> str:
    return f"{LIST}{question.pk}/delete/"


def question_rows() -> list[tuple[str, int]]:
    return list(InterviewQuestion.objects.order_by("pk").values_list("text", "position"))


@pytest.mark.django_db
def test_an_admin_adds_changes_and_removes_a_question_each_change_audited(
    admin_client: Client, root: Librarian
) -> None:
    before = audit_rows()
    response = admin_client.post(ADD, {"text": "  What is it for?  ", "position": "2"})
    assert response.status_code == 302, errors_of(response)
    assert response["Location"] == LIST
    assert question_rows() == [("What is it for?", 2)]
    question = InterviewQuestion.objects.get()

    response = admin_client.post(
        change_url(question), {"text": "What is it for: a class, a paper?", "position": "2"}
    )
    assert response.status_code == 302, errors_of(response)
    assert question_rows() == [("What is it for: a class, a paper?", 2)]
    # Saved unchanged: nothing written, nothing audited.
    response = admin_client.post(
        change_url(question), {"text": "What is it for: a class, a paper?", "position": "2"}
    )
    assert response.status_code == 302, errors_of(response)

    response = admin_client.post(delete_url(question), {"post": "yes"})
    assert response.status_code == 302
    assert question_rows() == []
    assert audit_rows()[len(before) :] == [
        (
            "root",
            "interview_question.add",
            "What is it for?",
            {"text": "What is it for?", "position": 2},
        ),
        (
            "root",
            "interview_question.change",
            "What is it for: a class, a paper?",
            {"text": ["What is it for?", "What is it for: a class, a paper?"]},
        ),
        (
            "root",
            "interview_question.delete",
            "What is it for: a class, a paper?",
            {"text": "What is it for: a class, a paper?"},
        ),
    ]


@pytest.mark.django_db
def test_the_list_lists_the_questions_in_the_card_s_order(admin_client: Client) -> None:
    do_add_interview_question("When do you need it by?", position=3)
    do_add_interview_question("What have you tried so far?", position=1)
    page = admin_client.get(LIST).content.decode()
    assert page.index("What have you tried so far?") < page.index("When do you need it by?")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("What is it\u202e for?", "Remove the invisible or control characters"),
        ("x" * 201, "at most 200 characters"),
    ],
    ids=["empty", "blank", "direction-override", "too-long"],
)
def test_a_bad_question_is_a_form_error_and_nothing_is_written(
    admin_client: Client, text: str, error: str
) -> None:
    before = audit_rows()
    response = admin_client.post(ADD, {"text": text, "position": "0"})
    assert response.status_code == 200
    assert error in errors_of(response)
    assert (question_rows(), audit_rows()) == ([], before)


@pytest.mark.django_db
def test_a_supervisor_reads_the_questions_and_can_change_nothing(
    supervisor_client: Client,
) -> None:
    question = do_add_interview_question("What have you tried so far?", position=0)
    assert "What have you tried so far?" in supervisor_client.get(LIST).content.decode()
    page = supervisor_client.get(change_url(question))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    before, rows = audit_rows(), question_rows()
    for method, url in (
        ("get", ADD),
        ("post", ADD),
        ("post", change_url(question)),
        ("get", delete_url(question)),
        ("post", delete_url(question)),
    ):
        data = {"text": "Anything?", "position": "0", "post": "yes"} if method == "post" else None
        response = getattr(supervisor_client, method)(url, data)
        assert response.status_code == 403, (method, url)
    assert (audit_rows(), question_rows()) == (before, rows)


@pytest.mark.django_db
def test_a_librarian_is_sent_to_the_admin_login_for_every_question_page(
    librarian_client: Client,
) -> None:
    question = do_add_interview_question("What have you tried so far?", position=0)
    before, rows = audit_rows(), question_rows()
    for method in ("get", "post"):
        for url in (LIST, ADD, change_url(question), delete_url(question)):
            data = {"text": "Anything?", "position": "0"} if method == "post" else None
            response = getattr(librarian_client, method)(url, data)
            assert response.status_code == 302, (method, url)
            assert response["Location"] == f"/admin/login/?next={url}"
    assert (audit_rows(), question_rows()) == (before, rows)
