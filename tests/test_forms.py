"""Public forms: crispy-forms with Bootstrap 5 (labels, help text, field errors) and a shared error summary."""

from __future__ import annotations

from django import forms
from django.template import Context, Template
from django.utils import translation


class ContactForm(forms.Form):
    name = forms.CharField(label="Your name", max_length=50)
    email = forms.EmailField(label="Email", help_text="We reply within two days.")


def render(form: forms.Form) -> str:
    html = Template("{% load crispy_forms_tags %}{% crispy form %}").render(Context({"form": form}))
    return " ".join(html.split())


def test_fields_get_bootstrap_5_markup_with_labels():
    html = render(ContactForm())
    assert '<label for="id_name" class="form-label requiredField"> Your name' in html
    assert 'class="textinput form-control"' in html
    assert 'id="id_email_helptext"' in html and "We reply within two days." in html


def test_invalid_input_is_flagged_next_to_the_field():
    form = ContactForm(data={"name": "", "email": "not-an-email"})
    assert not form.is_valid()
    html = render(form)
    assert "is-invalid" in html
    assert 'class="invalid-feedback"' in html
    assert "Enter a valid email address." in html


def test_error_messages_are_translated():
    with translation.override("ar"):
        form = ContactForm(data={"name": "", "email": "x"})
        form.is_valid()
        html = render(form)
    assert "هذا الحقل مطلوب" in html


def render_summary(form: forms.Form) -> str:
    html = Template('{% include "includes/form_error_summary.html" %}').render(Context({"form": form}))
    return " ".join(html.split())


def test_error_summary_lists_every_problem_with_a_link_to_its_field():
    form = ContactForm(data={"name": "", "email": "not-an-email"})
    form.is_valid()
    html = render_summary(form)
    assert 'role="alert"' in html and "There is a problem" in html
    assert '<a href="#id_name">Your name: This field is required.</a>' in html
    assert '<a href="#id_email">Email: Enter a valid email address.</a>' in html


def test_no_summary_for_a_valid_or_unsubmitted_form():
    assert render_summary(ContactForm()) == ""
    valid = ContactForm(data={"name": "Huda", "email": "huda@example.org"})
    assert valid.is_valid()
    assert render_summary(valid) == ""


def test_error_summary_in_arabic():
    with translation.override("ar"):
        form = ContactForm(data={"name": "", "email": "huda@example.org"})
        form.is_valid()
        assert "هناك مشكلة" in render_summary(form)
