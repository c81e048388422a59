"""The online booking pages' forms: what a visitor chooses and fills in. The rules are the service's
(portal.online.requests.request_problems); these only read the fields."""

from django import forms

from portal.online.requests import MAX_NOTE_CHARS
from portal.online.selectors import Question, bookable_locations, bookable_therapy_types
from treatments.models import Product

YES_NO = [("yes", "Yes"), ("no", "No")]


class ChoiceForm(forms.Form):
    """Treatment (and product), location and, later, the day: read from the query string of every step."""

    therapy_type = forms.ModelChoiceField(queryset=None, label="Treatment", empty_label=None)
    product = forms.ModelChoiceField(
        queryset=None, label="Product (for treatments that use one)", required=False, empty_label="None / not sure"
    )
    location = forms.ModelChoiceField(queryset=None, label="Location", empty_label=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapy_type"].queryset = bookable_therapy_types()
        self.fields["product"].queryset = Product.objects.filter(
            therapy_type__online_booking=True, active=True
        ).select_related("therapy_type")
        self.fields["product"].label_from_instance = lambda product: f"{product.therapy_type.name}: {product.name}"
        self.fields["location"].queryset = bookable_locations()

    def clean(self):
        data = super().clean()
        therapy, product = data.get("therapy_type"), data.get("product")
        if therapy is not None and product is not None and product.therapy_type_id != therapy.pk:
            self.add_error("product", f"Choose a product for {therapy.name}, or none.")
        elif therapy is not None and product is None and therapy.requires_product:
            self.add_error("product", f"{therapy.name} uses a product: choose one.")
        return data


class DetailsForm(forms.Form):
    """Who the patient is and their answers to the treatment's health questions (one yes / no field each)."""

    first_name = forms.CharField(max_length=100, label="First name")
    last_name = forms.CharField(max_length=100, label="Last name")
    email = forms.EmailField(max_length=254, label="Email", help_text="We send the link that books the time here.")
    phone = forms.CharField(max_length=32, label="Phone", help_text="For example 07700 900123.")
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="As YYYY-MM-DD, e.g. 1985-12-09.",
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    note = forms.CharField(
        max_length=MAX_NOTE_CHARS,
        required=False,
        label="Anything the clinic should know (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    privacy = forms.BooleanField(label="I have read the privacy notice above and accept it.")
    # The honeypot: hidden from people by the stylesheet; a robot that fills every field is answered but ignored.
    website = forms.CharField(max_length=200, required=False, label="Leave this field empty")

    def __init__(self, *args, questions: list[Question], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[f"q_{question.code}"] = forms.ChoiceField(
                choices=YES_NO, widget=forms.RadioSelect, label=question.text
            )

    def question_fields(self):
        return [self[f"q_{question.code}"] for question in self.questions]

    def person_fields(self):
        return [self[name] for name in ("first_name", "last_name", "email", "phone", "date_of_birth")]

    def answers(self) -> dict[str, bool]:
        return {question.code: self.cleaned_data[f"q_{question.code}"] == "yes" for question in self.questions}
