from rest_framework import serializers

from crm.json_input import JSONTypesMixin

from ..models import Company, Contact, Deal

FORCE_REFUSED = "Only managers may convert a lead that is not qualified."


class ConvertSerializer(JSONTypesMixin, serializers.Serializer):
    create_opportunity = serializers.BooleanField(default=True)
    deal_name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    amount = serializers.DecimalField(
        max_digits=15, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    close_date = serializers.DateField(required=False, allow_null=True)
    force = serializers.BooleanField(default=False)


class CompanySerializer(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = [
            "id",
            "name",
            "domain",
            "industry",
            "employee_count",
            "annual_revenue",
            "owner",
            "created_at",
            "updated_at",
        ]


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "title",
            "company",
            "owner",
            "created_at",
            "updated_at",
        ]


class DealSerializer(serializers.ModelSerializer):
    class Meta:
        model = Deal
        fields = [
            "id",
            "name",
            "stage",
            "amount",
            "close_date",
            "contact",
            "company",
            "owner",
            "created_at",
            "updated_at",
        ]
