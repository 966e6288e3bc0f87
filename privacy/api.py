"""REST API of the privacy room: erasing a customer (DELETE on the customer, or POST …/erase/).

The CRM's customer resource sits below this room: the view that answers its address is the
CRM's, extended here with DELETE.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from crm.api import CustomerDetailView as CrmCustomerDetailView
from crm.api import CustomerSerializer, customer_body, customer_or_404
from integrations.api_support import JsonApiView, actor_of
from privacy import services


class CustomerDetailView(CrmCustomerDetailView):
    @extend_schema(
        operation_id="customers_erase",
        summary=_("Erase a customer's personal data"),
        description=_("Same as POST …/erase/, with no body in the answer."),
        responses={204: OpenApiResponse(description=_("Erased."))},
        tags=["customers"],
    )
    def delete(self, request, external_id):
        services.customer_erase(customer=customer_or_404(external_id), actor=actor_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CustomerEraseView(JsonApiView):
    @extend_schema(
        operation_id="customers_erase_post",
        summary=_("Erase a customer's personal data"),
        description=_(
            "Identity blanked, comments and case notes redacted, open links expired; scores, purchases and "
            "segments stay so that every figure reads the same. The external id becomes erased-<public id>."
        ),
        request=None,
        responses={200: CustomerSerializer},
        tags=["customers"],
    )
    def post(self, request, external_id):
        customer = customer_or_404(external_id)
        services.customer_erase(customer=customer, actor=actor_of(request))
        return Response(customer_body(customer))
